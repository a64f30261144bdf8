from contracts.topics import SEATS_COMMANDS
from services.seat_allocator.bootstrap import production
from services.seat_allocator.settings import SeatAllocatorSettings
from shared.service import main
from shared.settings import from_environment

if __name__ == "__main__":
    settings = from_environment(SeatAllocatorSettings)
    main(settings, service="seat_allocator", topics=(SEATS_COMMANDS,), dispatcher=production(settings),
         database=settings.store)
