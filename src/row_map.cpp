#include "row_map.hpp"

#include <algorithm>

namespace roster {

namespace {
constexpr std::size_t block_cap = 64;
}

bool RowMap::build(std::span<const RowEdit> log, std::uint32_t old_len,
                   std::span<const std::uint32_t> updated) {
    blocks_.clear();
    flat_.clear();
    length_ = old_len;
    blocks_.push_back(Block{});
    if (old_len) {
        blocks_[0].len = old_len;
        blocks_[0].runs.push_back(Run{0, old_len, Kind::kept});
    }
    for (const RowEdit& e : log) {
        bool ok = false;
        switch (e.kind) {
        case RowEdit::Kind::insert: ok = insert(e.index); break;
        case RowEdit::Kind::remove: ok = remove(e.index); break;
        case RowEdit::Kind::update: ok = update(e.index); break;
        case RowEdit::Kind::reset: ok = false; break;
        }
        if (!ok) return false;
    }
    for (std::uint32_t p : updated)
        if (!update(p)) return false;
    std::uint32_t at = 0;
    for (const Block& b : blocks_)
        for (const Run& r : b.runs) {
            flat_.push_back(Piece{at, r});
            at += r.len;
        }
    return at == length_;
}

std::size_t RowMap::piece_at(std::uint32_t p) const {
    auto it = std::upper_bound(flat_.begin(), flat_.end(), p,
                               [](std::uint32_t x, const Piece& pc) { return x < pc.start; });
    return static_cast<std::size_t>(it - flat_.begin()) - 1;
}

// Block b, run r, offset off of position p; p == length_ gives the end (one
// past the last run of the last block).
bool RowMap::locate(std::uint32_t p, std::size_t* b, std::size_t* r, std::uint32_t* off) const {
    if (p > length_) return false;
    std::size_t i = 0;
    while (i + 1 < blocks_.size() && p >= blocks_[i].len) p -= blocks_[i++].len;
    const Block& blk = blocks_[i];
    std::size_t j = 0;
    while (j < blk.runs.size() && p >= blk.runs[j].len) p -= blk.runs[j++].len;
    *b = i;
    *r = j;
    *off = p;
    return j < blk.runs.size() || p == 0;
}

void RowMap::split_block(std::size_t b) {
    if (blocks_[b].runs.size() <= block_cap) return;
    Block tail;
    const std::size_t half = blocks_[b].runs.size() / 2;
    tail.runs.assign(blocks_[b].runs.begin() + static_cast<std::ptrdiff_t>(half),
                     blocks_[b].runs.end());
    blocks_[b].runs.resize(half);
    for (const Run& r : tail.runs) tail.len += r.len;
    blocks_[b].len -= tail.len;
    blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(b) + 1, std::move(tail));
}

bool RowMap::insert(std::uint32_t p) {
    std::size_t b, r;
    std::uint32_t off;
    if (!locate(p, &b, &r, &off)) return false;
    auto& runs = blocks_[b].runs;
    const Run fresh{0, 1, Kind::fresh};
    if (off == 0) {
        runs.insert(runs.begin() + static_cast<std::ptrdiff_t>(r), fresh);
    } else {  // inside a kept run: split it around the new row
        Run& x = runs[r];
        const Run tail{x.old + off, x.len - off, Kind::kept};
        x.len = off;
        runs.insert(runs.begin() + static_cast<std::ptrdiff_t>(r) + 1, {fresh, tail});
    }
    ++blocks_[b].len;
    ++length_;
    split_block(b);
    return true;
}

bool RowMap::remove(std::uint32_t p) {
    if (p >= length_) return false;
    std::size_t b, r;
    std::uint32_t off;
    if (!locate(p, &b, &r, &off)) return false;
    auto& runs = blocks_[b].runs;
    Run& x = runs[r];
    if (x.len == 1) {
        runs.erase(runs.begin() + static_cast<std::ptrdiff_t>(r));
    } else if (off == 0) {
        ++x.old;
        --x.len;
    } else if (off == x.len - 1) {
        --x.len;
    } else {
        const Run tail{x.old + off + 1, x.len - off - 1, Kind::kept};
        x.len = off;
        runs.insert(runs.begin() + static_cast<std::ptrdiff_t>(r) + 1, tail);
    }
    --blocks_[b].len;
    --length_;
    if (blocks_[b].runs.empty() && blocks_.size() > 1)
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(b));
    else
        split_block(b);
    return true;
}

bool RowMap::update(std::uint32_t p) {
    if (p >= length_) return false;
    std::size_t b, r;
    std::uint32_t off;
    if (!locate(p, &b, &r, &off)) return false;
    auto& runs = blocks_[b].runs;
    Run& x = runs[r];
    if (x.kind != Kind::kept) return true;  // fresh or dirty already
    const Run dirty{x.old + off, 1, Kind::dirty};
    if (x.len == 1) {
        x.kind = Kind::dirty;
    } else if (off == 0) {
        ++x.old;
        --x.len;
        runs.insert(runs.begin() + static_cast<std::ptrdiff_t>(r), dirty);
    } else if (off == x.len - 1) {
        --x.len;
        runs.insert(runs.begin() + static_cast<std::ptrdiff_t>(r) + 1, dirty);
    } else {
        const Run tail{x.old + off + 1, x.len - off - 1, Kind::kept};
        x.len = off;
        runs.insert(runs.begin() + static_cast<std::ptrdiff_t>(r) + 1, {dirty, tail});
    }
    split_block(b);
    return true;
}

}  // namespace roster
