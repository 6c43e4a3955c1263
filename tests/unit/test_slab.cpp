// Unit tests of roster::Slab: id allocation, value-initialisation, LIFO
// reuse of freed ids, the counters, growth (including past the 256 KiB
// point where the memory switches from malloc to an anonymous mapping, and
// the 2 MiB point from which it is whole huge pages), reserve and clear.
// And which memory is advised to use huge pages: large slabs and large
// heap blocks, never the host's blocks.
#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "grow.hpp"
#include "heap.hpp"
#include "pod_buffer.hpp"
#include "slab.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace {

struct P {
    std::uint64_t a;
    std::uint32_t b;
    std::uint32_t c;
};
static_assert(sizeof(P) == 16);

// An object whose size does not divide 2 MiB.
struct Odd {
    std::uint32_t v[3];
};
static_assert(sizeof(Odd) == 12);

constexpr std::size_t two_mib = std::size_t{2} << 20;

// The first whole 2 MiB page inside [p, p + n), or nullptr.
const void* huge_page_inside(const void* p, std::size_t n) {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t from = (a + two_mib - 1) & ~(std::uintptr_t{two_mib} - 1);
    return from + two_mib <= a + n ? reinterpret_cast<const void*>(from) : nullptr;
}

// Whether the mapping holding p is advised to use huge pages: "hg" among
// its VmFlags in /proc/self/smaps (MADV_HUGEPAGE).
bool advised_huge(const void* p) {
    std::ifstream smaps("/proc/self/smaps");
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    std::string line;
    bool inside = false;
    while (std::getline(smaps, line)) {
        std::uintptr_t lo = 0, hi = 0;
        char dash = 0;
        std::istringstream head(line);
        if (head >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
            inside = lo <= at && at < hi;
            continue;
        }
        if (inside && line.rfind("VmFlags:", 0) == 0) {
            std::istringstream flags(line.substr(8));
            std::string f;
            while (flags >> f)
                if (f == "hg") return true;
            return false;
        }
    }
    return false;
}

bool kernel_has_huge_pages() {
    return std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled").good();
}

// Host hooks that map every block on its own (a fresh mapping, which no
// earlier advice can have touched); the size sits before the block.
void* map_block(std::size_t n, void*) {
    void* p = ::mmap(nullptr, n + 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    *static_cast<std::size_t*>(p) = n + 16;
    return static_cast<char*>(p) + 16;
}
void unmap_block(void* p, void*) {
    if (!p) return;
    void* base = static_cast<char*>(p) - 16;
    ::munmap(base, *static_cast<std::size_t*>(base));
}

std::uint64_t pattern_a(std::uint32_t i) { return 0x9E3779B97F4A7C15ULL * (i + 1); }
std::uint32_t pattern_b(std::uint32_t i) { return i ^ 0xA5A5A5A5u; }

void fill(roster::Slab<P>& s, std::uint32_t id) {
    s[id].a = pattern_a(id);
    s[id].b = pattern_b(id);
    s[id].c = id;
}

// Index of the first slot in [0, n) that does not hold the pattern, or n.
std::uint32_t first_bad(const roster::Slab<P>& s, std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i) {
        const P& p = s[i];
        if (p.a != pattern_a(i) || p.b != pattern_b(i) || p.c != i) return i;
    }
    return n;
}

bool all_zero(const void* p, std::size_t bytes) {
    const unsigned char* c = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < bytes; ++i)
        if (c[i] != 0) return false;
    return true;
}

}  // namespace

TEST_SUITE("slab") {

TEST_CASE("a new slab is empty") {
    roster::Slab<P> s;
    CHECK(s.live() == 0);
    CHECK(s.high_water() == 0);
    CHECK(s.capacity() == 0);
    CHECK(s.data() == nullptr);
    CHECK(s.memory_bytes() == 0);
}

TEST_CASE("allocate hands out 0, 1, 2, ... and counts them") {
    roster::Slab<P> s;
    for (std::uint32_t i = 0; i < 200; ++i) {
        CHECK(s.allocate() == i);
        CHECK(s.live() == i + 1);
        CHECK(s.high_water() == i + 1);
        CHECK(s.capacity() >= s.high_water());
    }
}

TEST_CASE("first growth is to 64 objects, then by half") {
    roster::Slab<P> s;
    CHECK(s.allocate() == 0);
    CHECK(s.capacity() == 64);
    CHECK(s.memory_bytes() == 64 * sizeof(P));
    for (std::uint32_t i = 1; i < 64; ++i) s.allocate();
    CHECK(s.capacity() == 64);
    CHECK(s.allocate() == 64);
    CHECK(s.capacity() == 96);
    while (s.high_water() < 96) s.allocate();
    CHECK(s.capacity() == 96);
    s.allocate();
    CHECK(s.capacity() == 144);
}

TEST_CASE("allocated objects are value-initialised") {
    roster::Slab<P> s;
    std::uint32_t a = s.allocate();
    CHECK(s[a].a == 0);
    CHECK(s[a].b == 0);
    CHECK(s[a].c == 0);
    // Dirty a slot, free it, and get it back: it must be zeroed again.
    s[a].a = ~std::uint64_t{0};
    s[a].b = 0xDEADBEEFu;
    s[a].c = 7;
    s.free(a);
    CHECK(s.allocate() == a);
    CHECK(s[a].a == 0);
    CHECK(s[a].b == 0);
    CHECK(s[a].c == 0);
    // Fresh ids past the first block are zeroed too.
    for (int i = 0; i < 1000; ++i) {
        std::uint32_t id = s.allocate();
        REQUIRE(all_zero(&s[id], sizeof(P)));
        s[id].a = 1;
        s[id].b = 2;
        s[id].c = 3;
    }
}

TEST_CASE("freed ids are reused last-in first-out before the slab grows") {
    roster::Slab<P> s;
    for (std::uint32_t i = 0; i < 10; ++i) REQUIRE(s.allocate() == i);
    s.free(3);
    s.free(7);
    s.free(1);
    CHECK(s.live() == 7);
    CHECK(s.high_water() == 10);
    CHECK(s.allocate() == 1);
    CHECK(s.allocate() == 7);
    CHECK(s.live() == 9);
    s.free(9);
    CHECK(s.allocate() == 9);
    CHECK(s.allocate() == 3);
    CHECK(s.live() == 10);
    CHECK(s.high_water() == 10);
    // Free list empty: new ids again.
    CHECK(s.allocate() == 10);
    CHECK(s.allocate() == 11);
    CHECK(s.high_water() == 12);
    CHECK(s.live() == 12);
}

TEST_CASE("free everything, then reallocate every id in reverse order") {
    roster::Slab<P> s;
    for (std::uint32_t i = 0; i < 100; ++i) REQUIRE(s.allocate() == i);
    std::uint32_t cap = s.capacity();
    std::size_t bytes = s.memory_bytes();
    for (std::uint32_t i = 0; i < 100; ++i) s.free(i);
    CHECK(s.live() == 0);
    CHECK(s.high_water() == 100);
    CHECK(s.memory_bytes() == bytes);  // the free list costs no memory
    for (std::uint32_t i = 0; i < 100; ++i) REQUIRE(s.allocate() == 99 - i);
    CHECK(s.live() == 100);
    CHECK(s.capacity() == cap);
    CHECK(s.allocate() == 100);
}

TEST_CASE("the free list survives growth of the memory") {
    // Freed ids are linked through the freed objects: moving the memory
    // (realloc, then malloc -> mapping, then mremap) must keep the list.
    roster::Slab<P> s;
    for (std::uint32_t i = 0; i < 60; ++i) fill(s, s.allocate());
    s.free(5);
    s.free(40);
    s.free(0);
    s.free(59);
    CHECK(s.live() == 56);
    s.reserve(1000);  // realloc
    CHECK(s.capacity() == 1000);
    s.reserve(200000);  // to a mapping (3.2 MB -> 4 MiB)
    CHECK(std::size_t{s.capacity()} * sizeof(P) == 2 * two_mib);
    s.reserve(800000);  // mremap (12.8 MB -> 14 MiB)
    CHECK(std::size_t{s.capacity()} * sizeof(P) == 7 * two_mib);
    CHECK(s.live() == 56);
    CHECK(s.high_water() == 60);
    CHECK(s.allocate() == 59);
    CHECK(s.allocate() == 0);
    CHECK(s.allocate() == 40);
    CHECK(s.allocate() == 5);
    CHECK(s.allocate() == 60);
    // Ids that were never freed kept their contents.
    std::uint32_t bad = 0;
    for (std::uint32_t i = 1; i < 59; ++i)
        if (i != 5 && i != 40 && (s[i].a != pattern_a(i) || s[i].c != i)) ++bad;
    CHECK(bad == 0);
}

TEST_CASE("freeing only touches the freed object") {
    roster::Slab<P> s;
    for (std::uint32_t i = 0; i < 10; ++i) fill(s, s.allocate());
    s.free(4);
    s.free(6);
    std::uint32_t bad = 0;
    for (std::uint32_t i = 0; i < 10; ++i)
        if (i != 4 && i != 6 && (s[i].a != pattern_a(i) || s[i].b != pattern_b(i) || s[i].c != i))
            ++bad;
    CHECK(bad == 0);
    CHECK(s.live() == 8);
}

TEST_CASE("contents survive growth from malloc to a mapping and beyond") {
    roster::Slab<P> s;
    // About 10 MiB of 16-byte objects.
    constexpr std::uint32_t n = (10u << 20) / sizeof(P);
    bool crossed = false;
    std::uint32_t last_cap = 0;
    std::uint32_t growths = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t id = s.allocate();
        REQUIRE(id == i);
        if (s.capacity() != last_cap) {
            // Every growth keeps what was there.
            REQUIRE(first_bad(s, i) == i);
            ++growths;
            if (std::size_t{s.capacity()} * sizeof(P) >= two_mib) {
                // Mapped: whole multiples of 2 MiB.
                CHECK(std::size_t{s.capacity()} * sizeof(P) % two_mib == 0);
                crossed = true;
            }
            last_cap = s.capacity();
        }
        fill(s, id);
    }
    CHECK(crossed);
    CHECK(growths > 10);
    CHECK(s.memory_bytes() == std::size_t{s.capacity()} * sizeof(P));
    CHECK(s.live() == n);
    CHECK(s.high_water() == n);
    CHECK(std::size_t{s.capacity()} * sizeof(P) >= std::size_t{10} << 20);
    CHECK(first_bad(s, n) == n);
    // Reuse inside the mapped region still value-initialises.
    s.free(n / 2);
    CHECK(s.allocate() == n / 2);
    CHECK(all_zero(&s[n / 2], sizeof(P)));
    fill(s, n / 2);
    CHECK(first_bad(s, n) == n);
}

TEST_CASE("objects whose size does not divide 2 MiB") {
    roster::Slab<Odd> s;
    constexpr std::uint32_t n = (5u << 20) / sizeof(Odd);
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t id = s.allocate();
        REQUIRE(id == i);
        REQUIRE(s.capacity() >= s.high_water());
        s[id].v[0] = i;
        s[id].v[1] = ~i;
        s[id].v[2] = i * 3u;
    }
    CHECK(std::size_t{s.capacity()} * sizeof(Odd) > two_mib);
    // Capacity counts whole objects in a 2 MiB multiple.
    std::size_t mapped = (std::size_t{s.capacity()} * sizeof(Odd) + two_mib - 1) / two_mib * two_mib;
    CHECK(mapped / sizeof(Odd) == s.capacity());
    std::uint32_t bad = n;
    for (std::uint32_t i = 0; i < n && bad == n; ++i)
        if (s[i].v[0] != i || s[i].v[1] != ~i || s[i].v[2] != i * 3u) bad = i;
    CHECK(bad == n);
}

TEST_CASE("reserve") {
    SUBCASE("below the mapping threshold: exactly the request") {
        roster::Slab<P> s;
        s.reserve(1000);
        CHECK(s.capacity() == 1000);
        CHECK(s.live() == 0);
        CHECK(s.high_water() == 0);
        // Smaller requests change nothing.
        s.reserve(10);
        CHECK(s.capacity() == 1000);
        s.reserve(0);
        CHECK(s.capacity() == 1000);
        // Allocation up to the capacity does not grow.
        P* before = s.data();
        for (std::uint32_t i = 0; i < 1000; ++i) REQUIRE(s.allocate() == i);
        CHECK(s.capacity() == 1000);
        CHECK(s.data() == before);
        s.allocate();
        CHECK(s.capacity() == 1500);
    }
    SUBCASE("keeps contents") {
        roster::Slab<P> s;
        for (std::uint32_t i = 0; i < 100; ++i) fill(s, s.allocate());
        s.reserve(5000);
        CHECK(s.capacity() == 5000);
        CHECK(s.high_water() == 100);
        CHECK(s.live() == 100);
        CHECK(first_bad(s, 100) == 100);
        // Past the threshold: rounded up to 2 MiB.
        s.reserve(300000);  // 4.8 MB
        CHECK(std::size_t{s.capacity()} * sizeof(P) == 3 * two_mib);
        CHECK(first_bad(s, 100) == 100);
        s.reserve(700000);  // 11.2 MB
        CHECK(std::size_t{s.capacity()} * sizeof(P) == 6 * two_mib);
        CHECK(first_bad(s, 100) == 100);
        CHECK(s.high_water() == 100);
        CHECK(s.allocate() == 100);
    }
    SUBCASE("exactly 2 MiB maps") {
        roster::Slab<P> s;
        s.reserve(two_mib / sizeof(P));
        CHECK(std::size_t{s.capacity()} * sizeof(P) == two_mib);
        std::uint32_t cap = s.capacity();
        for (std::uint32_t i = 0; i < cap; ++i) fill(s, s.allocate());
        CHECK(s.capacity() == cap);
        s.allocate();  // grows by half, rounded up to 2 MiB
        CHECK(std::size_t{s.capacity()} * sizeof(P) == 2 * two_mib);
        CHECK(first_bad(s, cap) == cap);
    }
}

TEST_CASE("a slab of 256 KiB or more is a mapping of whole pages, advised for huge pages from 2 MiB") {
    // A section's tree at 10M members has slabs of about a megabyte: grown
    // by realloc, each growth copied (and first-touched) all of it.
    roster::Slab<P> s;
    s.reserve((std::size_t{128} << 10) / sizeof(P));
    CHECK_FALSE(s.mapped());  // small: from malloc
    for (std::uint32_t i = 0; i < 100; ++i) fill(s, s.allocate());
    s.reserve((std::size_t{300} << 10) / sizeof(P));
    CHECK(s.mapped());
    CHECK(s.memory_bytes() % 4096 == 0);
    CHECK(s.memory_bytes() < two_mib);
    CHECK(first_bad(s, 100) == 100);
    std::uint32_t cap = s.capacity();
    while (s.high_water() < cap) fill(s, s.allocate());
    s.allocate();  // grows by half, by mremap
    CHECK(s.mapped());
    CHECK(s.memory_bytes() % 4096 == 0);
    CHECK(first_bad(s, cap) == cap);
    while (s.memory_bytes() < 3 * two_mib) s.reserve(s.capacity() + s.capacity() / 2);
    CHECK(s.memory_bytes() % two_mib == 0);
    CHECK(first_bad(s, cap) == cap);
    if (kernel_has_huge_pages()) {
        const void* page = huge_page_inside(s.data(), s.memory_bytes());
        REQUIRE(page);
        CHECK(advised_huge(page));
    }
}

TEST_CASE("a pod buffer with a larger MapFrom stays in malloc's memory below it, and keeps it when moved") {
    // The flush's arenas: scratch reused by every flush, where malloc's
    // already-touched pages beat a fresh mapping's.
    constexpr std::size_t one_mib = std::size_t{1} << 20;
    roster::PodBuffer<std::uint32_t> plain;
    plain.reserve(one_mib / sizeof(std::uint32_t));
    CHECK(plain.mapped());

    roster::PodBuffer<std::uint32_t, two_mib> arena;
    arena.reserve(one_mib / sizeof(std::uint32_t));
    CHECK_FALSE(arena.mapped());
    for (std::uint32_t i = 0; i < 1000; ++i) arena.push_back(i);
    roster::PodBuffer<std::uint32_t, two_mib> moved(std::move(arena));
    moved.reserve(3 * one_mib / 2 / sizeof(std::uint32_t));
    CHECK_FALSE(moved.mapped());  // still below 2 MiB
    moved.reserve(3 * two_mib / sizeof(std::uint32_t));
    CHECK(moved.mapped());
    REQUIRE(moved.size() == 1000);
    CHECK(moved[999] == 999);
}

TEST_CASE("reserve_more counts freed ids and grows like allocate") {
    roster::Slab<P> s;
    s.reserve_more(0);
    CHECK(s.capacity() == 0);
    s.reserve_more(1);  // first growth: 64, as allocate() would
    CHECK(s.capacity() == 64);
    for (std::uint32_t i = 0; i < 64; ++i) fill(s, s.allocate());
    s.reserve_more(1);  // by half
    CHECK(s.capacity() == 96);
    s.reserve_more(500);  // more than a step: exactly what is needed
    CHECK(s.capacity() == 564);
    // Freed ids are counted: no growth while they cover the request.
    for (std::uint32_t i = 0; i < 10; ++i) s.free(i);
    P* before = s.data();
    s.reserve_more(510);
    CHECK(s.capacity() == 564);
    for (std::uint32_t i = 0; i < 510; ++i) s.allocate();
    CHECK(s.data() == before);
    CHECK(s.high_water() == 564);
    CHECK(s[10].c == 10);  // untouched objects kept their contents
    CHECK(s[63].a == pattern_a(63));
    s.reserve_more(1);  // full again: one step of growth
    CHECK(s.capacity() == 846);
    // Repeated single reserves stay geometric (few growths for many ids).
    roster::Slab<P> t;
    std::size_t growths = 0;
    for (std::uint32_t i = 0; i < 100000; ++i) {
        const std::uint32_t cap = t.capacity();
        t.reserve_more(1);
        growths += t.capacity() != cap;
        t.allocate();
    }
    CHECK(growths < 40);
}

TEST_CASE("clear forgets every id but keeps the memory") {
    roster::Slab<P> s;
    for (std::uint32_t i = 0; i < 500; ++i) fill(s, s.allocate());
    s.free(10);
    s.free(20);
    std::uint32_t cap = s.capacity();
    s.clear();
    CHECK(s.live() == 0);
    CHECK(s.high_water() == 0);
    CHECK(s.capacity() == cap);
    // The free list went too: ids start again at 0, value-initialised.
    for (std::uint32_t i = 0; i < 30; ++i) {
        REQUIRE(s.allocate() == i);
        REQUIRE(all_zero(&s[i], sizeof(P)));
    }
    CHECK(s.live() == 30);
    CHECK(s.high_water() == 30);
    CHECK(s.capacity() == cap);
}

TEST_CASE("a slab can be moved") {
    roster::Slab<P> a;
    for (std::uint32_t i = 0; i < 300; ++i) fill(a, a.allocate());
    a.free(5);
    roster::Slab<P> b(std::move(a));
    CHECK(b.live() == 299);
    CHECK(b.high_water() == 300);
    CHECK(first_bad(b, 5) == 5);
    CHECK(b.allocate() == 5);
    CHECK(b.allocate() == 300);
}

TEST_CASE("huge pages: large slabs and large heap blocks are advised, the host's blocks are not") {
    if (!kernel_has_huge_pages()) {
        MESSAGE("skipped: this kernel has no transparent huge pages");
        return;
    }
    // A slab past the mapping threshold (its own mapping).
    roster::Slab<P> slab;
    while (slab.high_water() * sizeof(P) < 3 * two_mib) slab.allocate();
    const void* page = huge_page_inside(&slab[0], 3 * two_mib);
    REQUIRE(page);
    CHECK(advised_huge(page));

    // A large block of the engine's containers, with no heap bound and
    // with a heap without hooks: from operator new, then advised.
    constexpr std::size_t big = 8 * two_mib;
    for (bool bound : {false, true}) {
        INFO("heap bound: " << bound);
        roster::Heap h;
        roster::heap::Scope scope(bound ? &h : nullptr);
        roster::Vec<std::uint32_t> v(big / sizeof(std::uint32_t));
        page = huge_page_inside(v.data(), big);
        REQUIRE(page);
        CHECK(advised_huge(page));
    }

    // The host's memory is the host's: a heap with hooks gets no advice,
    // neither for a container's block nor for a slab.
    roster::Heap hooked;
    hooked.hooks.allocate = map_block;
    hooked.hooks.deallocate = unmap_block;
    roster::heap::Scope scope(&hooked);
    roster::Vec<std::uint32_t> v(big / sizeof(std::uint32_t));
    page = huge_page_inside(v.data(), big);
    REQUIRE(page);
    CHECK_FALSE(advised_huge(page));
    roster::Slab<P> host_slab;
    while (host_slab.high_water() * sizeof(P) < 3 * two_mib) host_slab.allocate();
    page = huge_page_inside(&host_slab[0], 3 * two_mib);
    REQUIRE(page);
    CHECK_FALSE(advised_huge(page));
}

TEST_CASE("pod buffer as an array: resize value-initialises, contents survive growth into a mapping") {
    // The guild's per-member hooks: grown one join at a time past the
    // point where the memory becomes a mapping, which grows without a copy.
    struct Hook {
        std::uint32_t leaf = 0xFFFFFFFFu;
    };
    roster::PodBuffer<Hook> a;
    CHECK(a.capacity() == 0);
    a.resize(3);
    REQUIRE(a.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(a[i].leaf == 0xFFFFFFFFu);
    a[1].leaf = 7;
    const std::size_t many = 3 * two_mib / sizeof(Hook);  // well past the mapping threshold
    for (std::size_t n = 4; n <= many; n += n / 3 + 1) {
        roster::reserve_total(a, n);
        const std::size_t cap = a.capacity();
        a.resize(n);
        CHECK(a.capacity() == cap);  // within what was reserved
        a[n - 1].leaf = static_cast<std::uint32_t>(n);
    }
    CHECK(a[0].leaf == 0xFFFFFFFFu);
    CHECK(a[1].leaf == 7);
    CHECK(a[2].leaf == 0xFFFFFFFFu);
    std::size_t set = 0, fresh = 0;
    for (std::size_t i = 3; i < a.size(); ++i) {
        if (a[i].leaf == i + 1) ++set;
        else if (a[i].leaf == 0xFFFFFFFFu) ++fresh;
    }
    CHECK(set + fresh == a.size() - 3);  // nothing else: no stale bytes
    CHECK(set > 10);
    CHECK(a.memory_bytes() >= a.capacity() * sizeof(Hook));

    a.assign(5, Hook{9});
    CHECK(a.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) CHECK(a[i].leaf == 9);
    a.reserve(2);  // never shrinks
    CHECK(a.capacity() >= many);
}

TEST_CASE("pod buffer as a list: push_back, erase_from, and a move leaves the source empty") {
    // A role's holder list: appended to one slot at a time, compacted in
    // place with the standard algorithms, moved when the role table grows.
    roster::PodBuffer<std::uint32_t> v;
    const std::size_t many = 3 * two_mib / sizeof(std::uint32_t);
    for (std::uint32_t i = 0; i < many; ++i) v.push_back(i % 2 ? i : i / 2);
    REQUIRE(v.size() == many);
    CHECK(v[0] == 0);
    CHECK(v[1] == 1);
    CHECK(v[many - 2] == (many - 2) / 2);

    v.erase_from(std::remove_if(v.begin(), v.end(), [](std::uint32_t x) { return x % 3 == 0; }));
    std::sort(v.begin(), v.end());
    v.erase_from(std::unique(v.begin(), v.end()));
    const roster::PodBuffer<std::uint32_t>& cv = v;
    std::vector<std::uint32_t> want;
    for (std::uint32_t i = 0; i < many; ++i) {
        const std::uint32_t x = i % 2 ? i : i / 2;
        if (x % 3 != 0) want.push_back(x);
    }
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    CHECK(std::vector<std::uint32_t>(cv.begin(), cv.end()) == want);

    const std::size_t cap = v.capacity();
    roster::PodBuffer<std::uint32_t> w(std::move(v));
    CHECK(w.size() == want.size());
    CHECK(w.capacity() == cap);
    CHECK(v.size() == 0);
    CHECK(v.capacity() == 0);
    CHECK(v.memory_bytes() == 0);
    v.push_back(5);  // usable again: grows from nothing
    REQUIRE(v.size() == 1);
    CHECK(v[0] == 5);

    v = std::move(w);
    CHECK(v.size() == want.size());
    CHECK(v[0] == want[0]);
    CHECK(w.size() == 0);
    CHECK(w.capacity() == 0);
}

}  // TEST_SUITE
