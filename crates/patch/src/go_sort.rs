//! Go's `sort.SliceStable`, step for step.
//!
//! Upstream sorts merged lists with a comparator that is not a strict weak order (an item
//! missing from the order list is "less" than everything), so the result depends on the exact
//! sequence of comparisons and swaps. This is Go's insertion-sort-in-blocks-of-20 plus
//! `symMerge` algorithm (`sort/zsortfunc.go`), driven by the same comparator.

/// Sorts `items` as `sort.SliceStable(items, less)` does, where each item carries the position
/// of its key in the order list (`None`: not in it) and `less(i, j)` is
/// "both positions known and `i`'s is smaller, or either unknown".
pub(crate) fn slice_stable<T>(items: &mut [(Option<usize>, T)]) {
    let mut data = Data(items);
    let n = data.0.len();
    let mut block = 20;
    let (mut a, mut b) = (0, block);
    while b <= n {
        data.insertion_sort(a, b);
        a = b;
        b += block;
    }
    data.insertion_sort(a, n);
    while block < n {
        a = 0;
        b = 2 * block;
        while b <= n {
            data.sym_merge(a, a + block, b);
            a = b;
            b += 2 * block;
        }
        let m = a + block;
        if m < n {
            data.sym_merge(a, m, n);
        }
        block *= 2;
    }
}

struct Data<'a, T>(&'a mut [(Option<usize>, T)]);

impl<T> Data<'_, T> {
    fn less(&self, i: usize, j: usize) -> bool {
        match (self.0[i].0, self.0[j].0) {
            (Some(a), Some(b)) => a < b,
            _ => true,
        }
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.0.swap(i, j);
    }

    fn insertion_sort(&mut self, a: usize, b: usize) {
        for i in a + 1..b {
            let mut j = i;
            while j > a && self.less(j, j - 1) {
                self.swap(j, j - 1);
                j -= 1;
            }
        }
    }

    fn sym_merge(&mut self, a: usize, m: usize, b: usize) {
        if m - a == 1 {
            let (mut i, mut j) = (m, b);
            while i < j {
                let h = (i + j) / 2;
                if self.less(h, a) {
                    i = h + 1;
                } else {
                    j = h;
                }
            }
            for k in a..i.saturating_sub(1) {
                self.swap(k, k + 1);
            }
            return;
        }
        if b - m == 1 {
            let (mut i, mut j) = (a, m);
            while i < j {
                let h = (i + j) / 2;
                if !self.less(m, h) {
                    i = h + 1;
                } else {
                    j = h;
                }
            }
            let mut k = m;
            while k > i {
                self.swap(k, k - 1);
                k -= 1;
            }
            return;
        }
        let mid = (a + b) / 2;
        let n = mid + m;
        let (mut start, mut r) = if m > mid { (n - b, mid) } else { (a, m) };
        let p = n - 1;
        while start < r {
            let c = (start + r) / 2;
            if !self.less(p - c, c) {
                start = c + 1;
            } else {
                r = c;
            }
        }
        let end = n - start;
        if start < m && m < end {
            self.rotate(start, m, end);
        }
        if a < start && start < mid {
            self.sym_merge(a, start, mid);
        }
        if mid < end && end < b {
            self.sym_merge(mid, end, b);
        }
    }

    fn rotate(&mut self, a: usize, m: usize, b: usize) {
        let mut i = m - a;
        let mut j = b - m;
        while i != j {
            if i > j {
                self.swap_range(m - i, m, j);
                i -= j;
            } else {
                self.swap_range(m - i, m + j - i, i);
                j -= i;
            }
        }
        self.swap_range(m - i, m, i);
    }

    fn swap_range(&mut self, a: usize, b: usize, n: usize) {
        for i in 0..n {
            self.swap(a + i, b + i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(keys: &[Option<usize>]) -> Vec<usize> {
        let mut items: Vec<(Option<usize>, usize)> =
            keys.iter().copied().zip(0..keys.len()).collect();
        slice_stable(&mut items);
        items.into_iter().map(|(_, i)| i).collect()
    }

    #[test]
    fn sorts_known_keys_stably() {
        assert_eq!(sorted(&[Some(2), Some(0), Some(1)]), [1, 2, 0]);
        assert_eq!(sorted(&[Some(1), Some(0), Some(1), Some(0)]), [1, 3, 0, 2]);
        assert_eq!(sorted(&[]), Vec::<usize>::new());
    }

    #[test]
    fn unknown_keys_move_like_go_insertion_sort() {
        // less(j, j-1) is true whenever either key is unknown, so an unknown item bubbles to
        // the front and drags known ones past it (traced by hand against Go's insertionSort).
        assert_eq!(sorted(&[Some(0), None]), [1, 0]);
        assert_eq!(sorted(&[None, Some(0)]), [1, 0]);
        assert_eq!(sorted(&[Some(1), None, Some(0)]), [2, 1, 0]);
    }

    #[test]
    fn long_inputs_use_sym_merge_and_stay_sorted() {
        let keys: Vec<Option<usize>> = (0..57).map(|i| Some((i * 37) % 57 / 3)).collect();
        let order = sorted(&keys);
        let got: Vec<usize> = order.iter().map(|&i| keys[i].unwrap()).collect();
        let mut want = got.clone();
        want.sort();
        assert_eq!(got, want);
        // Stability: equal keys keep their input order.
        for w in order.windows(2) {
            if keys[w[0]] == keys[w[1]] {
                assert!(w[0] < w[1]);
            }
        }
    }
}
