// The framing of a guild snapshot: a header, then sections made of
// checksummed blocks, written through a callback in bounded pieces and read
// back from a buffer or a callback with every read bounds-checked. What the
// sections hold is the snapshot code's business; this layer only guarantees
// that damaged or truncated bytes are detected (ECORRUPT), that a snapshot
// of another format version is refused (EVERSION), and that neither side
// ever holds more than one block of the stream.
//
// Layout (all integers little-endian, fixed width):
//
//   header  = magic "RSTRSNAP" (8 bytes)
//             u32 format version (kFormatVersion)
//             u32 library version of the writer (major << 16 | minor << 8 | patch)
//             u32 flags (the snapshot code's)
//             u32 CRC-32 of the 20 bytes above
//   block   = u32 tag (bits 0..30; bit 31: the section's last block)
//             u32 payload length (at most kMaxBlock)
//             payload
//             u32 CRC-32 of tag, length and payload
//   section = one or more blocks with the same tag, the last one flagged
//   stream  = header, sections, then the end block: tag 0, last, length 0
//
// CRC-32 is the IEEE one (boost::crc_32_type). A value may span blocks of
// its section; it never spans sections.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "guild.hpp"
#include "text.hpp"

namespace roster::snapshot {

// Values are copied as they are in memory: the format is little-endian.
static_assert(std::endian::native == std::endian::little,
              "snapshots are read and written on little-endian hosts only");

inline constexpr char kMagic[8] = {'R', 'S', 'T', 'R', 'S', 'N', 'A', 'P'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kHeaderSize = 24;
inline constexpr std::size_t kMaxBlock = 64 * 1024;
inline constexpr std::uint32_t kLastBlock = 0x80000000u;
inline constexpr std::uint32_t kEndTag = 0;

// The sections of a guild snapshot, in stream order (docs/snapshot.md).
enum Section : std::uint32_t {
    s_settings = 1,  // Engine: the settings the loaded guild is created with
    s_roles = 2,     // Guild
    s_members = 3,   // Guild
    s_lists = 4,     // Guild
    s_sessions = 5,  // Subscriptions, when the header has kWithSessions
};
// Header flags.
inline constexpr std::uint32_t kWithSessions = 1;
// The guild sends tail deletes (SessionConfig::tail_deletes). A flag, not
// a settings field: snapshots without it keep their bytes, and a reader
// that does not know it refuses the snapshot (it could not honour it).
inline constexpr std::uint32_t kTailDeletes = 2;
inline constexpr std::uint32_t kKnownFlags = kWithSessions | kTailDeletes;

// Receives the next `len` bytes of the stream; false stops the writer.
using WriteFn = bool (*)(void* user, const void* data, std::size_t len);
// Fills up to `cap` bytes; *got = 0 means the end of the stream. False is
// an error of the source (io, whatever it interrupted).
using ReadFn = bool (*)(void* user, void* buf, std::size_t cap, std::size_t* got);

struct Header {
    std::uint32_t format = kFormatVersion;
    std::uint32_t library = 0;
    std::uint32_t flags = 0;
};

class Writer {
public:
    Writer(WriteFn fn, void* user) : fn_(fn), user_(user) {}

    // Allocates the block buffer (may throw), so that nothing after it
    // allocates; begin() does it otherwise.
    void reserve() { buf_.resize(kMaxBlock); }
    void header(const Header& h);
    // Starts a section; the previous one must have been ended.
    void begin(std::uint32_t tag);
    void u8(std::uint8_t v) { put(&v, 1); }
    void u32(std::uint32_t v) { put(&v, 4); }  // little-endian hosts (static_assert below)
    void u64(std::uint64_t v) { put(&v, 8); }
    void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
    void bytes(const void* p, std::size_t n) { put(p, n); }
    // Writes the section's last block.
    void end();
    // Writes the end block. False when the callback refused bytes (then
    // nothing was written after that) or a section was left open.
    bool finish();
    // The callback refused bytes; nothing was written after that.
    bool failed() const { return failed_; }
    std::uint64_t written() const { return written_; }

private:
    // Into the open block when it has room (most values), else split.
    void put(const void* p, std::size_t n) {
        if (open_ && kMaxBlock - size_ >= n) {
            std::memcpy(buf_.data() + size_, p, n);
            size_ += n;
            return;
        }
        put_slow(p, n);
    }
    void put_slow(const void* p, std::size_t n);
    void block(bool last);
    void emit(const void* p, std::size_t n);

    WriteFn fn_;
    void* user_;
    Vec<unsigned char> buf_;  // kMaxBlock bytes; the open block's payload
    std::size_t size_ = 0;            // bytes of it in use
    std::uint32_t tag_ = 0;
    bool open_ = false;
    bool failed_ = false;
    std::uint64_t written_ = 0;
};

class Reader {
public:
    // From memory (not copied: it must outlive the reader).
    explicit Reader(std::span<const unsigned char> bytes) : mem_(bytes), from_memory_(true) {}
    // Through a callback, one block at a time.
    Reader(ReadFn fn, void* user) : fn_(fn), user_(user) {}

    // corrupt (bad magic, bad checksum, short), version (format unknown).
    // From memory, the blocks' framing is walked first (their lengths
    // only, no checksums): bytes that do not end exactly with the end
    // block, a truncation above all, are refused before anything is read.
    Error header(Header* out);
    // The next section must have this tag: corrupt otherwise.
    Error begin(std::uint32_t tag);
    // False (and error() corrupt) when the section has no such bytes.
    bool u8(std::uint8_t* v) { return get(v, 1); }
    bool u32(std::uint32_t* v) { return get(v, 4); }  // little-endian hosts
    bool u64(std::uint64_t* v) { return get(v, 8); }
    bool i32(std::int32_t* v) { return get(v, 4); }
    bool bytes(void* p, std::size_t n) { return get(p, n); }
    // ok when the section was read to its end exactly.
    Error end();
    // ok when the end block follows and nothing after it.
    Error finish();
    // ok, or the first error (sticky).
    Error error() const { return error_; }
    bool good() const { return error_ == Error::ok; }
    // Records a content error found by the caller (the first one sticks).
    Error fail(Error e) {
        if (error_ == Error::ok) error_ = e;
        return error_;
    }

private:
    // From the current block when it holds the value (most values).
    bool get(void* p, std::size_t n) {
        if (blk_.size() - at_ >= n && n && error_ == Error::ok && in_section_) {
            // Names are mostly short: fixed-size moves (copy_short) rather
            // than the `rep movsb` a bounded memcpy compiles to.
            const char* src = reinterpret_cast<const char*>(blk_.data() + at_);
            if (n <= copy_short_max)
                copy_short(static_cast<char*>(p), src, n);
            else
                std::memcpy(p, src, n);
            at_ += n;
            return true;
        }
        return get_slow(p, n);
    }
    bool get_slow(void* p, std::size_t n);
    bool next_block();
    bool raw(void* p, std::size_t n);  // exactly n bytes of the stream
    bool framed() const;               // memory: the blocks end with the end block

    std::span<const unsigned char> mem_;
    std::size_t mem_at_ = 0;
    bool from_memory_ = false;
    ReadFn fn_ = nullptr;
    void* user_ = nullptr;
    Vec<unsigned char> block_;     // the current block, read through fn_
    std::span<const unsigned char> blk_;  // the current block's payload (in mem_ or block_)
    std::size_t at_ = 0;
    std::uint32_t tag_ = 0;
    bool in_section_ = false;
    bool last_ = true;  // the current block was its section's last
    Error error_ = Error::ok;
};

// CRC-32 (IEEE) of the bytes.
std::uint32_t crc32(std::span<const unsigned char> bytes);

}  // namespace roster::snapshot
