//! The live list as upstream's `$setElementOrder` code sees it after merging.
//!
//! Upstream merges a list in place: deleting an item shifts the tail of the Go slice's backing
//! array left (`append(s[:i], s[i+1:]...)`), and appending a new item writes into the freed
//! slot while capacity lasts. The `$setElementOrder` code then orders by the *original* slice
//! header, which still spans the old length of that same array. [`SharedBacking`] replays
//! those writes so ordering sees the same "live order" upstream does.

use serde_json::Value;

/// The Go backing array of the original list, seen through the original length.
pub(crate) struct SharedBacking {
    slots: Vec<Value>,
    len: usize,
    shared: bool,
}

impl SharedBacking {
    /// The array before any change: the original list, capacity equal to its length.
    pub(crate) fn new(original: &[Value]) -> Self {
        SharedBacking {
            slots: original.to_vec(),
            len: original.len(),
            shared: true,
        }
    }

    /// Item `i` of the current slice was removed by shifting the tail left.
    pub(crate) fn delete(&mut self, i: usize) {
        if !self.shared || i >= self.len {
            return;
        }
        for j in i..self.len - 1 {
            self.slots[j] = self.slots[j + 1].clone();
        }
        self.len -= 1;
    }

    /// `item` was appended to the current slice: it lands in the array while there is room,
    /// after that Go moves the slice to a new array and this one no longer changes.
    pub(crate) fn append(&mut self, item: &Value) {
        if self.shared && self.len < self.slots.len() {
            self.slots[self.len] = item.clone();
            self.len += 1;
        } else {
            self.shared = false;
        }
    }

    /// The current slice was replaced by an unrelated one (`$patch: replace`).
    pub(crate) fn detach(&mut self) {
        self.shared = false;
    }

    /// The array, over the original length.
    pub(crate) fn into_view(self) -> Vec<Value> {
        self.slots
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn deletions_shift_and_appends_fill_the_tail() {
        let mut b = SharedBacking::new(&[json!("a"), json!("b"), json!("c")]);
        b.delete(1);
        assert_eq!(b.slots, [json!("a"), json!("c"), json!("c")]);
        b.append(&json!("d"));
        b.append(&json!("e"));
        b.append(&json!("f"));
        assert_eq!(b.into_view(), [json!("a"), json!("c"), json!("d")]);
    }

    #[test]
    fn detached_array_keeps_deletions_only() {
        let mut b = SharedBacking::new(&[json!("a"), json!("b")]);
        b.delete(0);
        b.detach();
        b.append(&json!("z"));
        assert_eq!(b.into_view(), [json!("b"), json!("b")]);
    }
}
