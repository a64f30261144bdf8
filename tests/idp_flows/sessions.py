"""The IdP sessions as one test suite, run on every stack that provides a ``scim`` fixture
(FastStream's shared base test case): subclass ``IdpSessions`` in a ``test_*`` module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.idp_flows import entra, okta
from tests.idp_flows.client import ScimClient

#: ``await subscribe(product, seats)``: the vendor's operator sells the session's tenant that many seats.
Subscribe = Callable[[str, int], Awaitable[None]]


class IdpSessions:
    async def test_okta_provisioning_session(self, scim: ScimClient, subscribe: Subscribe):
        """Okta (SCIM-NOTES §2): look-up, create, PUT updates, PATCH/PUT (de)activation, import by pages
        of 100 (each user once), Group Push, re-sends that change nothing. Okta's users ask for the
        Sales product (the ZoomInfo guide for Okta), which the vendor sold the tenant first."""
        await subscribe("Sales", okta.IMPORTED_USERS + 10)
        await okta.run(scim)

    @pytest.mark.parametrize("flag", [False, True], ids=["without aadOptscim062020", "with aadOptscim062020"])
    async def test_entra_provisioning_session(self, scim: ScimClient, flag: bool):
        """Entra ID (SCIM-NOTES §3) without and with the flag on every URL, including the next ~40-minute
        cycle's re-sent changes."""
        await entra.run(scim, flag=flag)
