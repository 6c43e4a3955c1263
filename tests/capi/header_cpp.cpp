// The C header must compile as C++ (-pedantic -Werror) and link.
#include <roster/roster.h>

#include <cstring>

int main() {
    static_assert(ROSTER_OK == 0, "ok is zero");
    return std::strcmp(roster_status_str(ROSTER_ENOMEM), "out of memory") == 0 ? 0 : 1;
}
