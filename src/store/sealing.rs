//! Per-patient encryption of what patients wrote, so that "forget me" is
//! complete (crypto-shredding).
//!
//! sled is log-structured: a deleted record stays readable in the database's
//! old segments until sled happens to reuse them, and in every backup taken
//! before. So the records that hold a patient's words (their conversation,
//! their cases, messages queued to them or about their cases, the questions
//! they asked that nothing answered) are stored sealed with a key of that
//! patient's own (ChaCha20-Poly1305), and "forget me" destroys the key: what
//! is left anywhere in the sled files is ciphertext nobody can open.
//!
//! On sled, the keys live outside sled, in `patient-keys` in the data folder: fixed
//! 64-byte slots (a SHA-256 tag of the patient's address, then the key),
//! overwritten with zeros in place when a patient is forgotten, so the key is
//! gone from the file itself rather than left in a log. A slot is written and
//! synced to disk before its key seals anything, so a crash never leaves a
//! record sealed with a key that was not kept.
//!
//! A sealed value is `0x01`, the owner's tag, a random 96-bit nonce, then the
//! ciphertext and its tag; the tree and the record's key are authenticated
//! with it, so a sealed record cannot be moved under another key unnoticed.
//! Values written before sealing existed are JSON (they begin with `{`) and
//! still read.
//!
//! On PostgreSQL the keys are rows of `carebot_patient_keys`, written (and
//! committed) before they seal anything; two processes making a patient's
//! key at once agree on the first one stored. Each process remembers a key
//! for [`REMOTE_KEY_TTL`] at most, so a patient forgotten through one process
//! is unreadable through every other within that time. (PostgreSQL keeps a
//! deleted row until vacuum reclaims it, and in its WAL and backups: what
//! makes the records unreadable is that no copy of the key outlives them in
//! anything carebot reads. A practice that needs the key gone from the WAL
//! too keeps WAL archives no longer than its backups.)

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use carebot_chat::Address;

use super::postgres::Postgres;
use super::{address_key, StoreError};

/// How long a process trusts a key it read from PostgreSQL without asking
/// again (see the module notes).
const REMOTE_KEY_TTL: Duration = Duration::from_secs(5);

/// The keys file's name in the data folder.
pub const KEYS_FILE: &str = "patient-keys";

const SEALED: u8 = 1;
const TAG_LEN: usize = 32;
const KEY_LEN: usize = 32;
const SLOT_LEN: usize = TAG_LEN + KEY_LEN;
const HEADER_LEN: usize = 1 + TAG_LEN + NONCE_LEN;

/// Whose key seals a record: a SHA-256 tag of the patient's address, so the
/// keys file names no patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owner([u8; TAG_LEN]);

impl Owner {
    pub fn of(patient: &Address) -> Owner {
        let digest = ring::digest::digest(&ring::digest::SHA256, &address_key(patient));
        let mut tag = [0; TAG_LEN];
        tag.copy_from_slice(digest.as_ref());
        Owner(tag)
    }

    /// The owner of a sealed value, `None` for a value stored in the clear.
    pub fn of_sealed(bytes: &[u8]) -> Option<Owner> {
        if bytes.first() != Some(&SEALED) || bytes.len() < HEADER_LEN {
            return None;
        }
        let mut tag = [0; TAG_LEN];
        tag.copy_from_slice(&bytes[1..1 + TAG_LEN]);
        Some(Owner(tag))
    }

    pub fn as_bytes(&self) -> &[u8; TAG_LEN] {
        &self.0
    }
}

/// One patient's key and where it sits in the keys file.
#[derive(Clone, Copy)]
struct Slot {
    index: u64,
    key: [u8; KEY_LEN],
}

#[derive(Default)]
struct Keyring {
    /// `None` for a temporary store: keys live in memory only.
    file: Option<File>,
    slots: HashMap<Owner, Slot>,
    /// Slots zeroed by a forget, reused before the file grows.
    free: Vec<u64>,
    next_index: u64,
    /// Keys read from PostgreSQL, and when.
    remembered: HashMap<Owner, ([u8; KEY_LEN], Instant)>,
}

impl Keyring {
    /// Keeps `owner`'s `key` in a free slot (or a new one), written to disk
    /// before it is used.
    fn keep(&mut self, owner: Owner, key: [u8; KEY_LEN]) -> Result<(), StoreError> {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.next_index += 1;
                self.next_index - 1
            }
        };
        if let Some(file) = &self.file {
            let mut slot = [0; SLOT_LEN];
            slot[..TAG_LEN].copy_from_slice(owner.as_bytes());
            slot[TAG_LEN..].copy_from_slice(&key);
            if let Err(error) = write_slot(file, index, &slot) {
                self.free.push(index);
                return Err(error);
            }
        }
        self.slots.insert(owner, Slot { index, key });
        Ok(())
    }
}

/// The patients' keys, shared by every clone of a store.
pub struct PatientKeys {
    ring: Mutex<Keyring>,
    random: SystemRandom,
    /// Where the keys are kept when the store is in PostgreSQL.
    database: Option<Arc<Postgres>>,
}

impl std::fmt::Debug for PatientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys themselves.
        f.debug_struct("PatientKeys").finish_non_exhaustive()
    }
}

impl PatientKeys {
    /// Keys kept in memory only, for a temporary store.
    pub fn in_memory() -> PatientKeys {
        PatientKeys {
            ring: Mutex::new(Keyring::default()),
            random: SystemRandom::new(),
            database: None,
        }
    }

    /// Keys kept in the PostgreSQL database of the store.
    pub fn in_postgres(database: Arc<Postgres>) -> PatientKeys {
        PatientKeys {
            database: Some(database),
            ..PatientKeys::in_memory()
        }
    }

    /// Opens (or creates, owner-only) the keys file in `dir`. A partial slot
    /// at the end (a crash while one was appended) was never used: it is cut.
    pub fn open(dir: &Path) -> Result<PatientKeys, StoreError> {
        let path = dir.join(KEYS_FILE);
        let failed = |source: std::io::Error| StoreError::Keys {
            path: path.clone(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(failed)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(failed)?;
        let whole = bytes.len() / SLOT_LEN;
        if bytes.len() % SLOT_LEN != 0 {
            file.set_len((whole * SLOT_LEN) as u64).map_err(failed)?;
        }
        let mut ring = Keyring::default();
        for (index, slot) in bytes.chunks_exact(SLOT_LEN).enumerate() {
            let index = index as u64;
            if slot.iter().all(|&b| b == 0) {
                ring.free.push(index);
                continue;
            }
            let mut tag = [0; TAG_LEN];
            tag.copy_from_slice(&slot[..TAG_LEN]);
            let mut key = [0; KEY_LEN];
            key.copy_from_slice(&slot[TAG_LEN..]);
            ring.slots.insert(Owner(tag), Slot { index, key });
        }
        ring.next_index = whole as u64;
        ring.file = Some(file);
        Ok(PatientKeys {
            ring: Mutex::new(ring),
            random: SystemRandom::new(),
            database: None,
        })
    }

    /// Seals `plain` (a record of `tree` stored under `key`) with `owner`'s
    /// key, making the key (durably) if they have none yet.
    pub fn seal(
        &self,
        owner: Owner,
        tree: &str,
        key: &[u8],
        plain: Vec<u8>,
    ) -> Result<Vec<u8>, StoreError> {
        let secret = self.key_of(owner)?;
        let mut nonce = [0; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| StoreError::Random)?;
        let mut sealed = Vec::with_capacity(HEADER_LEN + plain.len() + 16);
        sealed.push(SEALED);
        sealed.extend_from_slice(owner.as_bytes());
        sealed.extend_from_slice(&nonce);
        let mut body = plain;
        cipher(&secret)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated(tree, key)),
                &mut body,
            )
            .map_err(|_| StoreError::Random)?;
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// The JSON inside a stored value: as it is for a value stored in the
    /// clear, opened for a sealed one, `None` when its owner was forgotten.
    pub fn open_value<'a>(
        &self,
        tree: &'static str,
        key: &[u8],
        bytes: &'a [u8],
    ) -> Result<Option<Cow<'a, [u8]>>, StoreError> {
        let Some(owner) = Owner::of_sealed(bytes) else {
            return Ok(Some(Cow::Borrowed(bytes)));
        };
        let Some(secret) = self.existing_key(owner)? else {
            return Ok(None);
        };
        let nonce: [u8; NONCE_LEN] = bytes[1 + TAG_LEN..HEADER_LEN]
            .try_into()
            .expect("the header has a whole nonce");
        let mut body = bytes[HEADER_LEN..].to_vec();
        let plain_len = cipher(&secret)
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated(tree, key)),
                &mut body,
            )
            .map_err(|_| StoreError::Unsealable { tree })?
            .len();
        body.truncate(plain_len);
        Ok(Some(Cow::Owned(body)))
    }

    /// Destroys `owner`'s key: zeroes its slot in place and syncs the file.
    /// Returns whether they had one.
    pub fn shred(&self, owner: Owner) -> Result<bool, StoreError> {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(database) = &self.database {
            ring.remembered.remove(&owner);
            return database.delete_patient_key(owner.as_bytes());
        }
        let Some(slot) = ring.slots.remove(&owner) else {
            return Ok(false);
        };
        if let Some(file) = &ring.file {
            write_slot(file, slot.index, &[0; SLOT_LEN])?;
        }
        ring.free.push(slot.index);
        Ok(true)
    }

    /// Every patient's key (for copying the store).
    pub fn all(&self) -> Result<Vec<(Owner, [u8; KEY_LEN])>, StoreError> {
        if let Some(database) = &self.database {
            return Ok(database
                .all_patient_keys()?
                .into_iter()
                .filter_map(|(owner, key)| {
                    Some((
                        Owner(owner.as_slice().try_into().ok()?),
                        key.as_slice().try_into().ok()?,
                    ))
                })
                .collect());
        }
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        Ok(ring
            .slots
            .iter()
            .map(|(owner, slot)| (*owner, slot.key))
            .collect())
    }

    /// Keeps `key` as `owner`'s (a copied store's), durably.
    pub fn adopt(&self, owner: Owner, key: &[u8; KEY_LEN]) -> Result<(), StoreError> {
        if let Some(database) = &self.database {
            database.keep_patient_key(owner.as_bytes(), key)?;
            return Ok(());
        }
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        if ring.slots.contains_key(&owner) {
            return Ok(());
        }
        ring.keep(owner, *key)
    }

    fn existing_key(&self, owner: Owner) -> Result<Option<[u8; KEY_LEN]>, StoreError> {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let Some(database) = &self.database else {
            return Ok(ring.slots.get(&owner).map(|slot| slot.key));
        };
        if let Some(key) = remembered(&ring, owner) {
            return Ok(Some(key));
        }
        let key = database
            .patient_key(owner.as_bytes())?
            .and_then(|bytes| <[u8; KEY_LEN]>::try_from(bytes.as_slice()).ok());
        match key {
            Some(key) => ring.remembered.insert(owner, (key, Instant::now())),
            None => ring.remembered.remove(&owner),
        };
        Ok(key)
    }

    fn key_of(&self, owner: Owner) -> Result<[u8; KEY_LEN], StoreError> {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = ring.slots.get(&owner) {
            return Ok(slot.key);
        }
        if let Some(key) = remembered(&ring, owner) {
            return Ok(key);
        }
        let mut key = [0; KEY_LEN];
        self.random.fill(&mut key).map_err(|_| StoreError::Random)?;
        if let Some(database) = &self.database {
            let kept = database.keep_patient_key(owner.as_bytes(), &key)?;
            let kept = <[u8; KEY_LEN]>::try_from(kept.as_slice()).map_err(|_| {
                StoreError::Inconsistent {
                    tree: "patient keys",
                    problem: format!("a stored key is {} bytes long", kept.len()),
                }
            })?;
            ring.remembered.insert(owner, (kept, Instant::now()));
            return Ok(kept);
        }
        ring.keep(owner, key)?;
        Ok(key)
    }
}

/// A key read from PostgreSQL recently enough to use without asking again.
fn remembered(ring: &Keyring, owner: Owner) -> Option<[u8; KEY_LEN]> {
    ring.remembered
        .get(&owner)
        .filter(|(_, read)| read.elapsed() < REMOTE_KEY_TTL)
        .map(|(key, _)| *key)
}

fn cipher(secret: &[u8; KEY_LEN]) -> LessSafeKey {
    LessSafeKey::new(
        UnboundKey::new(&CHACHA20_POLY1305, secret).expect("a ChaCha20 key is 32 bytes"),
    )
}

/// What a sealed value is bound to: its tree and its key there.
fn associated(tree: &str, key: &[u8]) -> Vec<u8> {
    let mut bound = Vec::with_capacity(tree.len() + 1 + key.len());
    bound.extend_from_slice(tree.as_bytes());
    bound.push(0);
    bound.extend_from_slice(key);
    bound
}

/// Writes one slot in place and waits for it to reach the disk.
fn write_slot(file: &File, index: u64, slot: &[u8; SLOT_LEN]) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.write_all_at(slot, index * SLOT_LEN as u64)
            .and_then(|()| file.sync_data())
            .map_err(StoreError::KeysWrite)
    }
    #[cfg(not(unix))]
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut file = file;
        file.seek(SeekFrom::Start(index * SLOT_LEN as u64))
            .and_then(|_| file.write_all(slot))
            .and_then(|()| file.sync_data())
            .map_err(StoreError::KeysWrite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Address {
        Address::new("telegram", "1001")
    }

    #[test]
    fn a_sealed_value_opens_with_its_owners_key_and_shows_no_plain_text() {
        let keys = PatientKeys::in_memory();
        let owner = Owner::of(&alice());
        let sealed = keys
            .seal(
                owner,
                "conversations",
                b"k",
                b"{\"said\":\"purple elephant\"}".to_vec(),
            )
            .unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"purple"));
        let opened = keys.open_value("conversations", b"k", &sealed).unwrap();
        assert_eq!(
            opened.as_deref(),
            Some(&b"{\"said\":\"purple elephant\"}"[..])
        );
    }

    #[test]
    fn a_value_moved_under_another_key_does_not_open() {
        let keys = PatientKeys::in_memory();
        let sealed = keys
            .seal(Owner::of(&alice()), "cases", b"1", b"{}".to_vec())
            .unwrap();
        assert!(matches!(
            keys.open_value("cases", b"2", &sealed),
            Err(StoreError::Unsealable { tree: "cases" })
        ));
    }

    #[test]
    fn after_shredding_the_owners_records_read_as_gone_and_plain_json_still_reads() {
        let keys = PatientKeys::in_memory();
        let owner = Owner::of(&alice());
        let sealed = keys.seal(owner, "outbox", b"7", b"{}".to_vec()).unwrap();
        assert!(keys.shred(owner).unwrap());
        assert!(keys.open_value("outbox", b"7", &sealed).unwrap().is_none());
        assert!(!keys.shred(owner).unwrap());
        let legacy = b"{\"text\":\"hi\"}";
        assert_eq!(
            keys.open_value("outbox", b"7", legacy).unwrap().as_deref(),
            Some(&legacy[..])
        );
    }

    #[test]
    fn keys_survive_reopening_and_a_shredded_slot_is_zeroed_on_disk_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let alice = Owner::of(&alice());
        let bob = Owner::of(&Address::new("discord", "2002"));
        let sealed = {
            let keys = PatientKeys::open(dir.path()).unwrap();
            let sealed = keys.seal(alice, "t", b"k", b"{}".to_vec()).unwrap();
            keys.seal(bob, "t", b"k", b"{}".to_vec()).unwrap();
            sealed
        };
        let keys = PatientKeys::open(dir.path()).unwrap();
        assert!(keys.open_value("t", b"k", &sealed).unwrap().is_some());
        let before = std::fs::read(dir.path().join(KEYS_FILE)).unwrap();
        assert_eq!(before.len(), 2 * SLOT_LEN);
        keys.shred(alice).unwrap();
        let after = std::fs::read(dir.path().join(KEYS_FILE)).unwrap();
        assert!(after[..SLOT_LEN].iter().all(|&b| b == 0));
        assert_eq!(after[SLOT_LEN..], before[SLOT_LEN..]);
        drop(keys);

        let keys = PatientKeys::open(dir.path()).unwrap();
        assert!(keys.open_value("t", b"k", &sealed).unwrap().is_none());
        keys.seal(
            Owner::of(&Address::new("telegram", "3003")),
            "t",
            b"k",
            b"{}".to_vec(),
        )
        .unwrap();
        let reused = std::fs::read(dir.path().join(KEYS_FILE)).unwrap();
        assert_eq!(reused.len(), 2 * SLOT_LEN, "the zeroed slot is reused");
    }

    #[test]
    fn a_torn_slot_at_the_end_is_cut_and_the_whole_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let sealed = {
            let keys = PatientKeys::open(dir.path()).unwrap();
            keys.seal(Owner::of(&alice()), "t", b"k", b"{}".to_vec())
                .unwrap()
        };
        let path = dir.path().join(KEYS_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[7; 20]);
        std::fs::write(&path, &bytes).unwrap();
        let keys = PatientKeys::open(dir.path()).unwrap();
        assert!(keys.open_value("t", b"k", &sealed).unwrap().is_some());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), SLOT_LEN as u64);
    }
}
