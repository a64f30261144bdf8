"""Every message type by its wire name: the one place a decoder looks a type up."""

from contracts.base import Message
from contracts.events.v1 import GroupEvent, GroupMembersEvent, UserEvent
from contracts.groups.v1 import (
    CreateGroup, DeleteGroup, GetGroup, GroupDeleted, GroupPage, GroupRecord, PatchGroup, QueryGroups,
    ReplaceGroup,
)
from contracts.notifications.v1 import (
    ListNotifications, MarkNotificationsRead, NotificationAccepted, NotificationPage, NotificationsMarked, Notify,
)
from contracts.seats.v1 import (
    AllocateSeats, ChangeSetMembership, ChangeSubscription, CreateSubscriptionSet, DeleteSubscriptionSet,
    EditSubscriptionSet, GetSeatSummary, GetUserSeats, ListSubscriptionSets, ProductSeats, ReleaseSeats,
    SeatAllocation, SeatSummary, SubscribeProduct, SubscriptionChanged, SubscriptionSetList, SubscriptionSetRecord,
    SubscriptionSetReport,
)
from contracts.sync_status.scim_log_v1 import ListScimCalls, RecordScimCalls, ScimCallPage, ScimCallsRecorded
from contracts.sync_status.v1 import (
    GetSyncSummary, GetUserHistory, ListUserStatuses, OutcomeRecorded, OutcomesRecorded, ProvisioningOutcome,
    ProvisioningOutcomes, SyncSummary, UserHistory, UserStatusPage,
)
from contracts.system.v1 import Ping, Pong
from contracts.tenants.v1 import TenantRecord
from contracts.tenants.v2 import TenantActivity
from contracts.tenants.v2 import TenantRecord as TenantRecordV2
from contracts.users.v1 import (
    CreateUser, DeleteUser, GetUser, PatchUser, QueryUsers, RecordSeatStates, ReplaceUser, SeatStatesRecorded,
    UserDeleted, UserPage, UserRecord,
)

MESSAGE_CLASSES: tuple[type[Message], ...] = (
    CreateUser,
    ReplaceUser,
    PatchUser,
    DeleteUser,
    UserDeleted,
    GetUser,
    QueryUsers,
    UserRecord,
    UserPage,
    RecordSeatStates,
    SeatStatesRecorded,
    CreateGroup,
    ReplaceGroup,
    PatchGroup,
    DeleteGroup,
    GetGroup,
    QueryGroups,
    GroupRecord,
    GroupPage,
    GroupDeleted,
    Notify,
    NotificationAccepted,
    ListNotifications,
    NotificationPage,
    MarkNotificationsRead,
    NotificationsMarked,
    SubscribeProduct,
    ChangeSubscription,
    ProductSeats,
    SubscriptionChanged,
    GetSeatSummary,
    SeatSummary,
    AllocateSeats,
    ReleaseSeats,
    GetUserSeats,
    SeatAllocation,
    CreateSubscriptionSet,
    EditSubscriptionSet,
    DeleteSubscriptionSet,
    ChangeSetMembership,
    ListSubscriptionSets,
    SubscriptionSetRecord,
    SubscriptionSetList,
    SubscriptionSetReport,
    ProvisioningOutcome,
    OutcomeRecorded,
    ProvisioningOutcomes,
    OutcomesRecorded,
    ListUserStatuses,
    UserStatusPage,
    GetUserHistory,
    UserHistory,
    GetSyncSummary,
    SyncSummary,
    RecordScimCalls,
    ScimCallsRecorded,
    ListScimCalls,
    ScimCallPage,
    Ping,
    Pong,
    TenantRecord,
    TenantRecordV2,
    TenantActivity,
    UserEvent,
    GroupEvent,
    GroupMembersEvent,
)

MESSAGE_TYPES: dict[str, type[Message]] = {cls.TYPE: cls for cls in MESSAGE_CLASSES}
