#include "frame_queue.hpp"

#include <cstring>
#include <utility>

namespace roster::capi {

namespace {

// Copies n bytes to p and returns the byte after them.
unsigned char* put(unsigned char* p, const void* src, std::size_t n) {
    if (n) std::memcpy(p, src, n);
    return p + n;
}

template <class T>
unsigned char* put(unsigned char* p, T v) {
    return put(p, &v, sizeof v);
}

}  // namespace

void FrameQueue::append(const roster_frame& f, std::span<const std::uint64_t> ids) {
    static_assert(sizeof(roster_row) == 24, "rows are written as they are");
    std::uint64_t rows = 0;
    for (std::size_t i = 0; i < f.op_count; ++i) rows += f.ops[i].item_count;
    const std::uint64_t size =
        40 + 8 * ids.size() + 16 * f.group_count + 16 * f.op_count + 24 * rows;
    // extend() throws before it changes anything: no half record is left.
    auto* p = reinterpret_cast<unsigned char*>(filling_.extend(size / 8));
    p = put(p, size);
    p = put(p, f.list_id);
    p = put(p, f.member_count);
    p = put(p, f.online_count);
    p = put(p, static_cast<std::uint32_t>(ids.size()));
    p = put(p, static_cast<std::uint32_t>(f.group_count));
    p = put(p, static_cast<std::uint32_t>(f.op_count));
    p = put(p, static_cast<std::uint32_t>(rows));
    p = put(p, ids.data(), 8 * ids.size());
    for (std::size_t i = 0; i < f.group_count; ++i) {
        p = put(p, f.groups[i].id);
        p = put(p, f.groups[i].count);
        p = put(p, std::uint32_t{0});
    }
    for (std::size_t i = 0; i < f.op_count; ++i) {
        const roster_op& op = f.ops[i];
        const std::uint32_t words[4] = {op.kind, op.index, op.end, op.item_count};
        p = put(p, words, sizeof words);
    }
    // The ops' rows, in op order. The engine mostly keeps a frame's rows in
    // one array, op after op (nine ops with rows in ten at the host
    // benchmark's workload): rows that follow each other in memory go in
    // one memcpy instead of one per op.
    const roster_row* run = nullptr;
    std::size_t run_rows = 0;
    for (std::size_t i = 0; i < f.op_count; ++i) {
        const roster_op& op = f.ops[i];
        if (op.item_count == 0) continue;
        if (run != nullptr && op.items == run + run_rows) {
            run_rows += op.item_count;
            continue;
        }
        if (run != nullptr) p = put(p, run, sizeof(roster_row) * run_rows);
        run = op.items;
        run_rows = op.item_count;
    }
    if (run != nullptr) put(p, run, sizeof(roster_row) * run_rows);
}

std::span<const unsigned char> FrameQueue::take() {
    std::swap(filling_, taken_);
    filling_.clear();
    return {reinterpret_cast<const unsigned char*>(taken_.data()), 8 * taken_.size()};
}

}  // namespace roster::capi
