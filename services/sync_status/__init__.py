"""The sync-status reporter: each user's latest provisioning status and history (from the user store's outcome
reports), and the SCIM call log the gateways send, answered to the admin API's queries."""
