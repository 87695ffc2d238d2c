//! A generational slab: objects addressed by (index, generation), so an id
//! kept after its object was removed never reaches a newer object that
//! reused the slot.

/// Identifies one object of a [`Slab`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Id {
    index: u32,
    generation: u32,
}

impl Id {
    /// An id that names no object, for fields set right after insertion.
    pub const fn placeholder() -> Id {
        Id { index: u32::MAX, generation: u32::MAX }
    }

    /// The slot index, for per-object side tables.
    pub fn index(self) -> usize {
        self.index as usize
    }
}

enum Entry<T> {
    Occupied { generation: u32, value: T },
    Free { generation: u32, next_free: Option<u32> },
}

pub struct Slab<T> {
    entries: Vec<Entry<T>>,
    free_head: Option<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab { entries: Vec::new(), free_head: None, len: 0 }
    }
}

impl<T> Slab<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn insert(&mut self, value: T) -> Id {
        self.len += 1;
        if let Some(index) = self.free_head {
            if let Some(entry) = self.entries.get_mut(index as usize) {
                if let Entry::Free { generation, next_free } = *entry {
                    let generation = generation.wrapping_add(1);
                    self.free_head = next_free;
                    *entry = Entry::Occupied { generation, value };
                    return Id { index, generation };
                }
            }
        }
        let index = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        self.entries.push(Entry::Occupied { generation: 0, value });
        Id { index, generation: 0 }
    }

    pub fn get(&self, id: Id) -> Option<&T> {
        match self.entries.get(id.index as usize) {
            Some(Entry::Occupied { generation, value }) if *generation == id.generation => Some(value),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, id: Id) -> Option<&mut T> {
        match self.entries.get_mut(id.index as usize) {
            Some(Entry::Occupied { generation, value }) if *generation == id.generation => Some(value),
            _ => None,
        }
    }

    pub fn contains(&self, id: Id) -> bool {
        self.get(id).is_some()
    }

    pub fn remove(&mut self, id: Id) -> Option<T> {
        let entry = self.entries.get_mut(id.index as usize)?;
        match entry {
            Entry::Occupied { generation, .. } if *generation == id.generation => {
                let free = Entry::Free { generation: id.generation, next_free: self.free_head };
                let Entry::Occupied { value, .. } = std::mem::replace(entry, free) else { return None };
                self.free_head = Some(id.index);
                self.len -= 1;
                Some(value)
            }
            _ => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (Id, &T)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| match e {
            Entry::Occupied { generation, value } => Some((Id { index: i as u32, generation: *generation }, value)),
            Entry::Free { .. } => None,
        })
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Id, &mut T)> {
        self.entries.iter_mut().enumerate().filter_map(|(i, e)| match e {
            Entry::Occupied { generation, value } => Some((Id { index: i as u32, generation: *generation }, value)),
            Entry::Free { .. } => None,
        })
    }

    /// The id of the live object at `index`, if any.
    pub fn id_at(&self, index: usize) -> Option<Id> {
        match self.entries.get(index) {
            Some(Entry::Occupied { generation, .. }) => Some(Id { index: index as u32, generation: *generation }),
            _ => None,
        }
    }

    pub fn ids(&self) -> Vec<Id> {
        self.iter().map(|(id, _)| id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_ids_miss_reused_slots() {
        let mut s = Slab::default();
        let a = s.insert("a");
        assert_eq!(s.remove(a), Some("a"));
        let b = s.insert("b");
        assert_eq!(a.index(), b.index());
        assert_eq!(s.get(a), None);
        assert_eq!(s.remove(a), None);
        assert_eq!(s.get(b), Some(&"b"));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn iterates_live_entries() {
        let mut s = Slab::default();
        let ids: Vec<_> = (0..5).map(|i| s.insert(i)).collect();
        s.remove(ids[1]);
        s.remove(ids[3]);
        let live: Vec<_> = s.iter().map(|(_, v)| *v).collect();
        assert_eq!(live, vec![0, 2, 4]);
        assert_eq!(s.ids().len(), 3);
    }
}
