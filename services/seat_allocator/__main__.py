from contracts.topics import SEATS_COMMANDS
from services.seat_allocator.bootstrap import dispatcher
from shared.service import main
from shared.settings import CommonSettings

if __name__ == "__main__":
    main(CommonSettings(), service="seat_allocator", topics=(SEATS_COMMANDS,), dispatcher=dispatcher)
