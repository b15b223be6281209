//! Patients' conversations and the record that they saw the first-contact notice.

use jiff::Timestamp;

use carebot_chat::Address;

use super::{address_key, decode, encode, NoticeShown, Owner, PatientRecord, Store, StoreError};

impl Store {
    /// The stored conversation with `patient`, if any.
    pub fn conversation(&self, patient: &Address) -> Result<Option<PatientRecord>, StoreError> {
        let key = address_key(patient);
        self.with(|t| match t.conversations.get(&key)? {
            Some(bytes) => self.unseal("conversations", &key, &bytes),
            None => Ok(None),
        })
    }

    /// Stores the conversation with `patient`, sealed with their key (not
    /// flushed: see the module notes).
    pub fn save_conversation(
        &self,
        patient: &Address,
        record: &PatientRecord,
    ) -> Result<(), StoreError> {
        let key = address_key(patient);
        let value = self.seal("conversations", Owner::of(patient), &key, record)?;
        self.with(|t| {
            t.conversations.insert(&key, value)?;
            Ok(())
        })
    }

    /// How many conversations are stored (none while the store is closed).
    pub fn conversation_count(&self) -> usize {
        self.with(|t| t.conversations.len()).unwrap_or(0)
    }

    /// When `patient` was shown the first-contact notice, if ever.
    pub fn notice_shown(&self, patient: &Address) -> Result<Option<NoticeShown>, StoreError> {
        let key = address_key(patient);
        self.with(|t| match t.notices.get(&key)? {
            Some(bytes) => Ok(Some(decode("notices", &key, &bytes)?)),
            None => Ok(None),
        })
    }

    /// Records that `patient` was shown the notice now. Returns false if they
    /// had already been shown it (so two messages at once show it once).
    pub fn mark_notice_shown(&self, patient: &Address, at: Timestamp) -> Result<bool, StoreError> {
        let value = encode("notices", &NoticeShown { at })?;
        self.with(|t| {
            t.notices
                .compare_and_swap(&address_key(patient), None, Some(&value))
        })
    }
}
