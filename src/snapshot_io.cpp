#include "snapshot_io.hpp"

#include <algorithm>
#include <cstring>


namespace roster::snapshot {

namespace {

void put_le32(unsigned char* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
std::uint32_t get_le32(const unsigned char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t{p[i]} << (8 * i);
    return v;
}

// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), eight bytes per
// step ("slicing by 8": table t[k] gives the CRC contribution of a byte
// followed by k zero bytes). The byte-at-a-time boost::crc_32_type gives
// the same values (tests/unit/test_snapshot_io.cpp checks it) but runs
// several times slower, and a snapshot of a million members is tens of MB
// checked on every save and every load.
struct Crc32Tables {
    std::uint32_t t[8][256];
    constexpr Crc32Tables() : t{} {
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1u) ? 0xEDB88320u : 0u);
            t[0][i] = c;
        }
        for (std::uint32_t i = 0; i < 256; ++i)
            for (int k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFFu];
    }
};
constexpr Crc32Tables crc_tables;

// Continues a CRC (crc is the running value before the final complement).
std::uint32_t crc_update(std::uint32_t crc, const unsigned char* p, std::size_t n) {
    const auto& t = crc_tables.t;
    while (n >= 8) {
        std::uint32_t lo, hi;
        std::memcpy(&lo, p, 4);  // little-endian hosts (snapshot_io.hpp)
        std::memcpy(&hi, p + 4, 4);
        lo ^= crc;
        crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
              t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
    return crc;
}

// CRC of a block: its tag and length fields, then its payload.
std::uint32_t block_crc(const unsigned char* fields, std::span<const unsigned char> payload) {
    std::uint32_t c = crc_update(0xFFFFFFFFu, fields, 8);
    c = crc_update(c, payload.data(), payload.size());
    return ~c;
}

}  // namespace

std::uint32_t crc32(std::span<const unsigned char> bytes) {
    return ~crc_update(0xFFFFFFFFu, bytes.data(), bytes.size());
}

// ------------------------------------------------------------------ Writer --

void Writer::emit(const void* p, std::size_t n) {
    if (failed_ || n == 0) return;
    if (!fn_(user_, p, n)) {
        failed_ = true;
        return;
    }
    written_ += n;
}

void Writer::header(const Header& h) {
    unsigned char b[kHeaderSize];
    std::memcpy(b, kMagic, 8);
    put_le32(b + 8, h.format);
    put_le32(b + 12, h.library);
    put_le32(b + 16, h.flags);
    put_le32(b + 20, crc32(std::span<const unsigned char>(b, 20)));
    emit(b, sizeof b);
}

void Writer::begin(std::uint32_t tag) {
    if (open_ || tag == kEndTag || (tag & kLastBlock)) {
        failed_ = true;  // misuse: reported by finish()
        return;
    }
    buf_.resize(kMaxBlock);  // may throw: nothing changed yet
    tag_ = tag;
    open_ = true;
    size_ = 0;
}

void Writer::put_slow(const void* p, std::size_t n) {
    if (!open_) {
        failed_ = true;
        return;
    }
    const auto* c = static_cast<const unsigned char*>(p);
    while (n && !failed_) {
        if (size_ == kMaxBlock) block(false);
        const std::size_t take = std::min(n, kMaxBlock - size_);
        std::memcpy(buf_.data() + size_, c, take);
        size_ += take;
        c += take;
        n -= take;
    }
}

void Writer::block(bool last) {
    unsigned char fields[8];
    put_le32(fields, tag_ | (last ? kLastBlock : 0));
    put_le32(fields + 4, static_cast<std::uint32_t>(size_));
    const std::span<const unsigned char> payload(buf_.data(), size_);
    unsigned char crc[4];
    put_le32(crc, block_crc(fields, payload));
    emit(fields, 8);
    emit(payload.data(), payload.size());
    emit(crc, 4);
    size_ = 0;
}

void Writer::end() {
    if (!open_) {
        failed_ = true;
        return;
    }
    block(true);
    open_ = false;
}

bool Writer::finish() {
    if (open_) failed_ = true;
    const std::uint32_t saved = tag_;
    tag_ = kEndTag;
    size_ = 0;
    block(true);
    tag_ = saved;
    return !failed_;
}

// ------------------------------------------------------------------ Reader --

bool Reader::raw(void* p, std::size_t n) {
    auto* out = static_cast<unsigned char*>(p);
    if (from_memory_) {
        if (mem_.size() - mem_at_ < n) return false;
        std::memcpy(out, mem_.data() + mem_at_, n);
        mem_at_ += n;
        return true;
    }
    while (n) {
        std::size_t got = 0;
        if (!fn_(user_, out, n, &got)) {
            fail(Error::io);  // before the caller's corrupt: the source failed
            return false;
        }
        if (got == 0 || got > n) return false;
        out += got;
        n -= got;
    }
    return true;
}

bool Reader::framed() const {
    std::size_t at = kHeaderSize;
    const std::size_t size = mem_.size();
    while (size - at >= 12) {
        const std::uint32_t tag = get_le32(mem_.data() + at);
        const std::uint32_t len = get_le32(mem_.data() + at + 4);
        if (len > kMaxBlock || size - at - 12 < len) return false;
        at += 12 + std::size_t{len};
        if (tag == (kEndTag | kLastBlock) && len == 0) return at == size;
    }
    return false;
}

Error Reader::header(Header* out) {
    unsigned char b[kHeaderSize];
    if (!raw(b, sizeof b)) return fail(Error::corrupt);
    if (from_memory_ && !framed()) return fail(Error::corrupt);
    if (std::memcmp(b, kMagic, 8) != 0) return fail(Error::corrupt);
    if (get_le32(b + 20) != crc32(std::span<const unsigned char>(b, 20))) return fail(Error::corrupt);
    Header h{get_le32(b + 8), get_le32(b + 12), get_le32(b + 16)};
    if (h.format != kFormatVersion) return fail(Error::version);
    if (out) *out = h;
    return Error::ok;
}

// Reads the next block (any tag): blk_ is its payload; false on damage or the end of
// the bytes.
bool Reader::next_block() {
    unsigned char fields[8];
    if (!raw(fields, 8)) return false;
    const std::uint32_t tag = get_le32(fields);
    const std::uint32_t len = get_le32(fields + 4);
    if (len > kMaxBlock) return false;
    if (from_memory_) {
        // The payload is read where it is (its bounds were checked by raw's
        // kind: the rest of mem_).
        if (mem_.size() - mem_at_ < len) return false;
        blk_ = mem_.subspan(mem_at_, len);
        mem_at_ += len;
    } else {
        block_.resize(len);  // at most kMaxBlock: the one allocation a reader keeps
        if (!raw(block_.data(), len)) return false;
        blk_ = block_;
    }
    unsigned char crc[4];
    if (!raw(crc, 4)) return false;
    if (get_le32(crc) != block_crc(fields, blk_)) return false;
    tag_ = tag & ~kLastBlock;
    last_ = (tag & kLastBlock) != 0;
    at_ = 0;
    return true;
}

Error Reader::begin(std::uint32_t tag) {
    if (error_ != Error::ok) return error_;
    if (in_section_ || tag == kEndTag) return fail(Error::internal);
    if (!next_block() || tag_ != tag) return fail(Error::corrupt);
    in_section_ = true;
    return Error::ok;
}

bool Reader::get_slow(void* p, std::size_t n) {
    if (error_ != Error::ok) return false;
    if (!in_section_) {
        fail(Error::internal);
        return false;
    }
    auto* out = static_cast<unsigned char*>(p);
    while (n) {
        if (at_ == blk_.size()) {
            const std::uint32_t tag = tag_;
            // A value running past its section's last block is damage.
            if (last_ || !next_block() || tag_ != tag) {
                fail(Error::corrupt);
                return false;
            }
            continue;
        }
        const std::size_t take = std::min(n, blk_.size() - at_);
        std::memcpy(out, blk_.data() + at_, take);
        at_ += take;
        out += take;
        n -= take;
    }
    return true;
}


Error Reader::end() {
    if (error_ != Error::ok) return error_;
    if (!in_section_) return fail(Error::internal);
    // The writer never leaves an empty block but a section's last one.
    while (at_ == blk_.size() && !last_) {
        const std::uint32_t tag = tag_;
        if (!next_block() || tag_ != tag) return fail(Error::corrupt);
    }
    if (at_ != blk_.size() || !last_) return fail(Error::corrupt);
    in_section_ = false;
    return Error::ok;
}

Error Reader::finish() {
    if (error_ != Error::ok) return error_;
    if (in_section_) return fail(Error::internal);
    if (!next_block() || tag_ != kEndTag || !last_ || !blk_.empty()) return fail(Error::corrupt);
    unsigned char extra;
    if (raw(&extra, 1)) return fail(Error::corrupt);  // bytes after the end
    return Error::ok;
}

}  // namespace roster::snapshot
