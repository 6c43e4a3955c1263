// Intrusive, rank-augmented AVL tree over 32-bit node ids.
//
// Why this shape:
//  * Intrusive: a RankNode lives inside the caller's entry object; the tree
//    never allocates. Nodes are named by 32-bit ids into the caller's slab, so
//    a node is 16 bytes (three links and a packed word) instead of the 32+ of
//    pointer-based trees, and the slab may grow by reallocation.
//  * Rank augmentation keeps the size of each node's *left* subtree (not its
//    whole subtree). index_of() then walks up from the node and reads only the
//    ancestors themselves, never their siblings: one cache line per level.
//  * AVL rather than red-black: the lower height (<= 1.44 log2 n, ~log2 n on
//    average) shortens both the walk up and the descent; rotations update the
//    left size in O(1). See tests/bench/RESULTS.md for the measurements.
//
// The packed word holds left_size << 2 | (balance + 1), balance being
// height(right) - height(left) in {-1, 0, +1}. A tree therefore holds at most
// 2^30 - 1 nodes (max_size()).
//
// Thread-safety: none; a tree is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ids.hpp"

namespace roster {

struct RankNode {
    std::uint32_t parent = nil_id;
    std::uint32_t left = nil_id;
    std::uint32_t right = nil_id;
    std::uint32_t packed = 1;  // left_size 0, balance 0
};
static_assert(sizeof(RankNode) == 16);

// Access: a cheap copyable callable `RankNode& operator()(std::uint32_t id)`.
template <class Access>
class RankTree {
public:
    using id_t = std::uint32_t;
    static constexpr id_t max_size() { return (1u << 30) - 1; }

    explicit RankTree(Access access = Access{}) : acc_(access) {}

    // The accessor may need re-pointing when the caller's slab moves.
    void set_access(Access access) { acc_ = access; }
    const Access& access() const { return acc_; }

    id_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    id_t root() const { return root_; }

    // Forgets every node (the nodes themselves are the caller's). O(1).
    void clear() {
        root_ = nil_id;
        size_ = 0;
    }

    // Inserts node `x` after every node that does not compare greater
    // (less(x, y) false), so equal keys keep insertion order. `less(a, b)`
    // compares two node ids. Returns x's index. O(log n).
    template <class Less>
    id_t insert(id_t x, Less less) {
        RankNode& nx = n(x);
        nx.left = nx.right = nil_id;
        nx.packed = pack(0, 0);
        id_t index = 0;
        id_t p = nil_id;
        bool go_left = false;
        for (id_t cur = root_; cur != nil_id;) {
            RankNode& c = n(cur);
            p = cur;
            go_left = less(x, cur);
            if (go_left) {
                c.packed += 4;  // x joins cur's left subtree
                cur = c.left;
            } else {
                index += left_size(c) + 1;
                cur = c.right;
            }
        }
        nx.parent = p;
        if (p == nil_id)
            root_ = x;
        else if (go_left)
            n(p).left = x;
        else
            n(p).right = x;
        ++size_;
        rebalance_after_insert(x);
        return index;
    }

    // Inserts `x` at row `index` (0 <= index <= size()) without comparing
    // keys; the caller guarantees order. Returns index. O(log n).
    id_t insert_at(id_t x, id_t index) {
        RankNode& nx = n(x);
        nx.left = nx.right = nil_id;
        nx.packed = pack(0, 0);
        id_t k = index;
        id_t p = nil_id;
        bool go_left = false;
        for (id_t cur = root_; cur != nil_id;) {
            RankNode& c = n(cur);
            p = cur;
            id_t ls = left_size(c);
            go_left = k <= ls;
            if (go_left) {
                c.packed += 4;
                cur = c.left;
            } else {
                k -= ls + 1;
                cur = c.right;
            }
        }
        nx.parent = p;
        if (p == nil_id)
            root_ = x;
        else if (go_left)
            n(p).left = x;
        else
            n(p).right = x;
        ++size_;
        rebalance_after_insert(x);
        return index;
    }

    // Removes node `x` (which must be in this tree); returns the index it had.
    // O(log n).
    id_t erase(id_t x) {
        // One walk up both computes x's index and removes x from the left
        // size of every ancestor whose left subtree holds it.
        RankNode& nx = n(x);
        id_t index = left_size(nx);
        for (id_t c = x, p = nx.parent; p != nil_id; c = p, p = n(p).parent) {
            RankNode& np = n(p);
            if (np.left == c)
                np.packed -= 4;
            else
                index += left_size(np) + 1;
        }
        unlink(x);
        --size_;
        return index;
    }

    // Row index of node `x`. Reads only x's ancestors. O(log n).
    id_t index_of(id_t x) const {
        const RankNode* nx = &n(x);
        id_t index = left_size(*nx);
        for (id_t c = x, p = nx->parent; p != nil_id; c = p, p = nx->parent) {
            nx = &n(p);
            if (nx->right == c) index += left_size(*nx) + 1;
        }
        return index;
    }

    // Node at row k, or nil_id when k >= size(). O(log n).
    id_t at(id_t k) const {
        if (k >= size_) return nil_id;
        id_t cur = root_;
        for (;;) {
            const RankNode& c = n(cur);
            id_t ls = left_size(c);
            if (k < ls) {
                cur = c.left;
            } else if (k == ls) {
                return cur;
            } else {
                k -= ls + 1;
                cur = c.right;
            }
        }
    }

    struct Found {
        id_t node;   // nil_id when every node is before the key
        id_t index;  // index of node, or size() when node is nil_id
    };

    // First node for which before(node) is false, where before(node) says
    // "node sorts before the key" and is monotone over the order. O(log n).
    template <class Before>
    Found lower_bound(Before before) const {
        Found r{nil_id, 0};
        id_t index = 0;
        for (id_t cur = root_; cur != nil_id;) {
            const RankNode& c = n(cur);
            if (before(cur)) {
                index += left_size(c) + 1;
                cur = c.right;
            } else {
                r.node = cur;
                r.index = index + left_size(c);
                cur = c.left;
            }
        }
        if (r.node == nil_id) r.index = size_;
        return r;
    }

    id_t first() const { return root_ == nil_id ? nil_id : leftmost(root_); }
    id_t last() const { return root_ == nil_id ? nil_id : rightmost(root_); }

    // In-order successor / predecessor; nil_id past the ends. O(1) amortized.
    id_t next(id_t x) const {
        const RankNode& nx = n(x);
        if (nx.right != nil_id) return leftmost(nx.right);
        id_t c = x, p = nx.parent;
        while (p != nil_id && n(p).right == c) {
            c = p;
            p = n(p).parent;
        }
        return p;
    }
    id_t prev(id_t x) const {
        const RankNode& nx = n(x);
        if (nx.left != nil_id) return rightmost(nx.left);
        id_t c = x, p = nx.parent;
        while (p != nil_id && n(p).left == c) {
            c = p;
            p = n(p).parent;
        }
        return p;
    }

    // Replaces the contents with ids[0..count), already in order, as a
    // perfectly balanced tree. Nodes must not be in any tree. O(count).
    void build(const id_t* ids, id_t count) {
        root_ = build_range(ids, 0, count, nil_id);
        size_ = count;
    }

    // Verifies parent links, order (no less(next, prev)), AVL balance and the
    // recorded balance factors, every left size, the total size, and that
    // index_of / at agree with in-order position. On failure returns false
    // and says why in *why (when given). O(n log n): for tests.
    template <class Less>
    bool check_invariants(Less less, std::string* why = nullptr) const {
        std::string dummy;
        std::string& w = why ? *why : dummy;
        if (root_ == nil_id) {
            if (size_ != 0) return fail(w, "empty root but size != 0");
            return true;
        }
        if (n(root_).parent != nil_id) return fail(w, "root has a parent");
        id_t count = 0;
        int height = 0;
        if (!check_subtree(root_, count, height, w)) return false;
        if (count != size_) return fail(w, "size() disagrees with node count");
        id_t prev_id = nil_id, seen = 0;
        for (id_t cur = first(); cur != nil_id; cur = next(cur)) {
            if (prev_id != nil_id && less(cur, prev_id))
                return fail(w, "in-order sequence not sorted");
            if (index_of(cur) != seen) return fail(w, "index_of disagrees with position");
            if (at(seen) != cur) return fail(w, "at disagrees with position");
            prev_id = cur;
            ++seen;
        }
        if (seen != size_) return fail(w, "iteration count disagrees with size()");
        return true;
    }

private:
    static constexpr std::uint32_t pack(id_t ls, int bal) {
        return (ls << 2) | static_cast<std::uint32_t>(bal + 1);
    }
    static id_t left_size(const RankNode& x) { return x.packed >> 2; }
    static int bal(const RankNode& x) { return static_cast<int>(x.packed & 3u) - 1; }
    static void set_bal(RankNode& x, int b) {
        x.packed = (x.packed & ~3u) | static_cast<std::uint32_t>(b + 1);
    }

    RankNode& n(id_t id) const { return acc_(id); }

    id_t leftmost(id_t x) const {
        for (id_t l = n(x).left; l != nil_id; l = n(x).left) x = l;
        return x;
    }
    id_t rightmost(id_t x) const {
        for (id_t r = n(x).right; r != nil_id; r = n(x).right) x = r;
        return x;
    }

    // Points old_child's parent (or the root) at new_child.
    void replace_child(id_t parent, id_t old_child, id_t new_child) {
        if (parent == nil_id)
            root_ = new_child;
        else if (n(parent).left == old_child)
            n(parent).left = new_child;
        else
            n(parent).right = new_child;
    }

    void rotate_left(id_t x) {
        RankNode& nx = n(x);
        id_t y = nx.right;
        RankNode& ny = n(y);
        nx.right = ny.left;
        if (ny.left != nil_id) n(ny.left).parent = x;
        ny.parent = nx.parent;
        replace_child(nx.parent, x, y);
        ny.left = x;
        nx.parent = y;
        ny.packed += (left_size(nx) + 1) << 2;
    }

    void rotate_right(id_t y) {
        RankNode& ny = n(y);
        id_t x = ny.left;
        RankNode& nx = n(x);
        ny.left = nx.right;
        if (nx.right != nil_id) n(nx.right).parent = y;
        nx.parent = ny.parent;
        replace_child(ny.parent, y, x);
        nx.right = y;
        ny.parent = x;
        ny.packed -= (left_size(nx) + 1) << 2;
    }

    // Double rotation around z = child of x on the heavy inner side; sets the
    // balance factors of x, p and z from z's old balance. Returns z.
    id_t rotate_left_right(id_t p) {  // p left-heavy, left(p) right-heavy
        id_t x = n(p).left;
        id_t z = n(x).right;
        int bz = bal(n(z));
        rotate_left(x);
        rotate_right(p);
        set_bal(n(x), bz > 0 ? -1 : 0);
        set_bal(n(p), bz < 0 ? +1 : 0);
        set_bal(n(z), 0);
        return z;
    }
    id_t rotate_right_left(id_t p) {  // p right-heavy, right(p) left-heavy
        id_t x = n(p).right;
        id_t z = n(x).left;
        int bz = bal(n(z));
        rotate_right(x);
        rotate_left(p);
        set_bal(n(x), bz < 0 ? +1 : 0);
        set_bal(n(p), bz > 0 ? -1 : 0);
        set_bal(n(z), 0);
        return z;
    }

    void rebalance_after_insert(id_t x) {
        for (id_t p = n(x).parent; p != nil_id; x = p, p = n(p).parent) {
            RankNode& np = n(p);
            int b = bal(np);
            if (np.left == x) {
                if (b > 0) { set_bal(np, 0); return; }
                if (b == 0) { set_bal(np, -1); continue; }
                if (bal(n(x)) > 0) {
                    rotate_left_right(p);
                } else {
                    rotate_right(p);
                    set_bal(n(p), 0);
                    set_bal(n(x), 0);
                }
                return;
            }
            if (b < 0) { set_bal(np, 0); return; }
            if (b == 0) { set_bal(np, +1); continue; }
            if (bal(n(x)) < 0) {
                rotate_right_left(p);
            } else {
                rotate_left(p);
                set_bal(n(p), 0);
                set_bal(n(x), 0);
            }
            return;
        }
    }

    // Structural removal; left sizes above x were already adjusted.
    void unlink(id_t z) {
        RankNode& nz = n(z);
        id_t p;          // where the retrace starts
        bool from_left;  // which of p's subtrees got shorter
        if (nz.left != nil_id && nz.right != nil_id) {
            id_t y = leftmost(nz.right);
            RankNode& ny = n(y);
            if (y != nz.right) {
                // y leaves the left subtree of every node from right(z) down
                // to parent(y).
                for (id_t a = ny.parent; a != z; a = n(a).parent) n(a).packed -= 4;
                p = ny.parent;
                from_left = true;
                n(p).left = ny.right;
                if (ny.right != nil_id) n(ny.right).parent = p;
                ny.right = nz.right;
                n(nz.right).parent = y;
            } else {
                p = y;
                from_left = false;
            }
            ny.left = nz.left;
            n(nz.left).parent = y;
            ny.parent = nz.parent;
            replace_child(nz.parent, z, y);
            ny.packed = nz.packed;  // same left subtree, same balance
        } else {
            id_t c = nz.left != nil_id ? nz.left : nz.right;
            p = nz.parent;
            if (c != nil_id) n(c).parent = p;
            if (p == nil_id) {
                root_ = c;
                return;
            }
            from_left = n(p).left == z;
            if (from_left)
                n(p).left = c;
            else
                n(p).right = c;
        }
        rebalance_after_erase(p, from_left);
    }

    void rebalance_after_erase(id_t p, bool from_left) {
        while (p != nil_id) {
            RankNode& np = n(p);
            int b = bal(np);
            id_t top;  // root of the subtree that was p's, after any rotation
            if (from_left) {
                if (b < 0) { set_bal(np, 0); top = p; }
                else if (b == 0) { set_bal(np, +1); return; }
                else {
                    id_t s = np.right;
                    int bs = bal(n(s));
                    if (bs == 0) {
                        rotate_left(p);
                        set_bal(n(p), +1);
                        set_bal(n(s), -1);
                        return;  // height unchanged
                    }
                    if (bs > 0) {
                        rotate_left(p);
                        set_bal(n(p), 0);
                        set_bal(n(s), 0);
                        top = s;
                    } else {
                        top = rotate_right_left(p);
                    }
                }
            } else {
                if (b > 0) { set_bal(np, 0); top = p; }
                else if (b == 0) { set_bal(np, -1); return; }
                else {
                    id_t s = np.left;
                    int bs = bal(n(s));
                    if (bs == 0) {
                        rotate_right(p);
                        set_bal(n(p), -1);
                        set_bal(n(s), +1);
                        return;
                    }
                    if (bs < 0) {
                        rotate_right(p);
                        set_bal(n(p), 0);
                        set_bal(n(s), 0);
                        top = s;
                    } else {
                        top = rotate_left_right(p);
                    }
                }
            }
            // The subtree rooted at `top` got one shorter: go up.
            p = n(top).parent;
            if (p != nil_id) from_left = n(p).left == top;
        }
    }

    id_t build_range(const id_t* ids, id_t lo, id_t hi, id_t parent) {
        if (lo >= hi) return nil_id;
        id_t count = hi - lo;
        id_t nl = (count - 1) / 2;
        id_t mid = lo + nl;
        id_t x = ids[mid];
        RankNode& nx = n(x);
        nx.parent = parent;
        nx.left = build_range(ids, lo, mid, x);
        nx.right = build_range(ids, mid + 1, hi, x);
        nx.packed = pack(nl, height_of_size(count - 1 - nl) - height_of_size(nl));
        return x;
    }

    // Height of a subtree of `count` nodes built by build_range.
    static int height_of_size(id_t count) {
        int h = 0;
        while (count) {
            ++h;
            count >>= 1;
        }
        return h;
    }

    static bool fail(std::string& w, const char* msg) {
        w = msg;
        return false;
    }

    bool check_subtree(id_t x, id_t& count, int& height, std::string& w) const {
        const RankNode& nx = n(x);
        id_t lc = 0, rc = 0;
        int lh = 0, rh = 0;
        if (nx.left != nil_id) {
            if (n(nx.left).parent != x) return fail(w, "bad parent link (left child)");
            if (!check_subtree(nx.left, lc, lh, w)) return false;
        }
        if (nx.right != nil_id) {
            if (n(nx.right).parent != x) return fail(w, "bad parent link (right child)");
            if (!check_subtree(nx.right, rc, rh, w)) return false;
        }
        if (left_size(nx) != lc) return fail(w, "left size is wrong");
        if ((nx.packed & 3u) == 3u) return fail(w, "invalid balance encoding");
        if (rh - lh < -1 || rh - lh > 1) return fail(w, "AVL balance violated");
        if (bal(nx) != rh - lh) return fail(w, "recorded balance factor is wrong");
        count = lc + rc + 1;
        height = (lh > rh ? lh : rh) + 1;
        return true;
    }

    Access acc_;
    id_t root_ = nil_id;
    id_t size_ = 0;
};

}  // namespace roster
