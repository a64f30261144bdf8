from pathlib import Path

from shared.settings import CommonSettings


class SeatAllocatorSettings(CommonSettings):
    @property
    def db_path(self) -> Path:
        return self.service_data_dir("seat_allocator") / "seats.sqlite3"
