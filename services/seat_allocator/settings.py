from pathlib import Path

from shared.settings import SqliteOnlySettings


class SeatAllocatorSettings(SqliteOnlySettings):
    """``SCIMFLOW_EVENTS_ENABLED`` (the user store's setting too): whether the allocator publishes its seat
    and subscription set events on ``scimflow.events`` (README "Events"); off, it writes none."""

    events_enabled: bool = True

    @property
    def db_path(self) -> Path:
        return self.service_data_dir("seat_allocator") / "seats.sqlite3"
