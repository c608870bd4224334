//! Varints (LEB128) and zig-zag signed integers for the compact blobs of the store: feed
//! segments ([`crate::feeds::codec`]) and the screening image ([`crate::facts`]).

use crate::StoreError;

/// Appends `v` as a varint.
pub(crate) fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `v` zig-zag encoded, so that small negative numbers stay short.
pub(crate) fn put_signed(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// A cursor over a blob; every read past the end or of a malformed value is an error
/// naming the blob (`what`), never a panic.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pub(crate) pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8], what: &'static str) -> Self {
        Self { data, pos: 0, what }
    }

    pub(crate) fn corrupt(&self) -> StoreError {
        StoreError::Corrupt(format!("{}格式损坏", self.what))
    }

    #[inline]
    pub(crate) fn byte(&mut self) -> Result<u8, StoreError> {
        let b = *self.data.get(self.pos).ok_or_else(|| self.corrupt())?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, StoreError> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                return Err(self.corrupt());
            }
        }
    }

    #[inline]
    pub(crate) fn signed(&mut self) -> Result<i64, StoreError> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// `n` raw bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        let b = self
            .data
            .get(self.pos..self.pos + n)
            .ok_or_else(|| self.corrupt())?;
        self.pos += n;
        Ok(b)
    }

    /// A one-byte storage code.
    pub(crate) fn code<T>(&mut self, f: fn(i16) -> Option<T>) -> Result<T, StoreError> {
        let b = self.byte()?;
        f(i16::from(b)).ok_or_else(|| self.corrupt())
    }

    /// A one-byte storage code, 0 for none.
    pub(crate) fn opt_code<T>(&mut self, f: fn(i16) -> Option<T>) -> Result<Option<T>, StoreError> {
        match self.byte()? {
            0 => Ok(None),
            b => f(i16::from(b)).map(Some).ok_or_else(|| self.corrupt()),
        }
    }

    /// Whether every byte was read.
    pub(crate) fn finished(&self) -> bool {
        self.pos == self.data.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_and_truncation_is_an_error() {
        let mut out = Vec::new();
        let values = [0i64, 1, -1, 63, -64, 300, i64::MAX, i64::MIN];
        for v in values {
            put_signed(&mut out, v);
        }
        put(&mut out, u64::MAX);
        let mut r = Reader::new(&out, "测试");
        for v in values {
            assert_eq!(r.signed().unwrap(), v);
        }
        assert_eq!(r.varint().unwrap(), u64::MAX);
        assert!(r.finished());
        assert!(
            Reader::new(&out[..out.len() - 1], "测试")
                .bytes(out.len())
                .is_err()
        );
        let mut r = Reader::new(&[0x80, 0x80], "测试");
        assert!(matches!(r.varint(), Err(StoreError::Corrupt(m)) if m.contains("测试")));
    }
}
