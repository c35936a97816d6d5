//! Signed single-use links to rate one case (QR code, SMS, PC web).
//!
//! The server gives each link a random nonce, kept in its database to make
//! the link single-use, and signs case and nonce so that a forged or altered
//! token is refused before any lookup. The secret and the nonce are passed
//! in: nothing here reads a clock or draws random bytes.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Longest nonce a token may carry.
pub const NONCE_MAX_CHARS: usize = 64;
/// Bytes of the HMAC kept in a token (32 hex characters).
const SIG_BYTES: usize = 16;

type HmacSha256 = Hmac<Sha256>;

/// The claims a valid token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub case_id: i64,
    pub nonce: String,
}

/// Why a token was refused. Each has a stable code and a message in Chinese
/// (shown first) and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not of the form `{case_id}.{nonce}.{sig}`: cut short or mangled.
    #[error("malformed link")]
    Malformed,
    /// Well-formed, but not signed with our secret: forged or altered.
    #[error("link signature does not match")]
    BadSignature,
}

impl LinkError {
    pub fn code(&self) -> &'static str {
        match self {
            LinkError::Malformed => "link_malformed",
            LinkError::BadSignature => "link_forged",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            LinkError::Malformed => "评价链接不完整，请重新扫码或打开短信中的链接".into(),
            LinkError::BadSignature => "评价链接无效（可能被修改过）".into(),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            LinkError::Malformed => {
                "This rating link is incomplete; scan the code again or open the link in the SMS"
                    .into()
            }
            LinkError::BadSignature => {
                "This rating link is not valid (it may have been altered)".into()
            }
        }
    }
}

/// 1 to [`NONCE_MAX_CHARS`] characters of `[A-Za-z0-9_-]`: safe in a URL
/// path and free of the `.` that separates the parts of a token.
fn valid_nonce(nonce: &str) -> bool {
    (1..=NONCE_MAX_CHARS).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn mac(secret: &[u8], case_id: i64, nonce: &str) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(format!("{case_id}.{nonce}").as_bytes());
    m
}

/// A per-case link token `{case_id}.{nonce}.{sig}`, where `sig` is the
/// lowercase hex of the first 16 bytes of HMAC-SHA256(secret,
/// `{case_id}.{nonce}`). `case_id` must be positive and `nonce` 1 to 64
/// characters of `[A-Za-z0-9_-]`, or [`verify`] will refuse the token.
pub fn sign(secret: &[u8], case_id: i64, nonce: &str) -> String {
    debug_assert!(case_id > 0, "case ids are positive");
    debug_assert!(
        valid_nonce(nonce),
        "nonce {nonce:?} is not [A-Za-z0-9_-]{{1,64}}"
    );
    let tag = mac(secret, case_id, nonce).finalize().into_bytes();
    let mut out = format!("{case_id}.{nonce}.");
    for b in &tag[..SIG_BYTES] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// A positive decimal integer in canonical form: digits only (no sign), no
/// leading zero, within `i64`.
fn parse_case_id(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

/// Checks a token's form and signature (in constant time) and returns its
/// claims. Only tokens [`sign`] can make are well-formed: a case id with a
/// sign or leading zero, a nonce outside `[A-Za-z0-9_-]{1,64}` or a
/// signature other than 32 lowercase hex characters is
/// [`LinkError::Malformed`].
pub fn verify(secret: &[u8], token: &str) -> Result<LinkClaims, LinkError> {
    let mut parts = token.split('.');
    let (Some(id), Some(nonce), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Malformed);
    };
    let case_id = parse_case_id(id).ok_or(LinkError::Malformed)?;
    if !valid_nonce(nonce) || sig.len() != 2 * SIG_BYTES {
        return Err(LinkError::Malformed);
    }
    let mut tag = [0u8; SIG_BYTES];
    for (byte, pair) in tag.iter_mut().zip(sig.as_bytes().chunks_exact(2)) {
        let (hi, lo) = (hex_value(pair[0]), hex_value(pair[1]));
        *byte = (hi.ok_or(LinkError::Malformed)? << 4) | lo.ok_or(LinkError::Malformed)?;
    }
    mac(secret, case_id, nonce)
        .verify_truncated_left(&tag)
        .map_err(|_| LinkError::BadSignature)?;
    Ok(LinkClaims {
        case_id,
        nonce: nonce.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &[u8] = b"test secret, 32 bytes or so.....";

    #[test]
    fn a_signed_link_verifies_to_its_case_and_nonce() {
        let token = sign(KEY, 42, "Ab3_-x");
        assert!(token.starts_with("42.Ab3_-x."));
        assert_eq!(token.len(), "42.Ab3_-x.".len() + 32);
        assert_eq!(
            verify(KEY, &token),
            Ok(LinkClaims {
                case_id: 42,
                nonce: "Ab3_-x".into()
            })
        );
    }

    #[test]
    fn the_signature_is_the_truncated_hmac_of_case_and_nonce() {
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        // Not of our message form, so check the construction directly instead.
        let mut m = HmacSha256::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        let full = m.finalize().into_bytes();
        assert_eq!(
            full[..4],
            [0x5b, 0xdc, 0xc1, 0x46],
            "the hmac crate computes RFC 4231 values"
        );
        let token = sign(KEY, 7, "n");
        let mut m = HmacSha256::new_from_slice(KEY).unwrap();
        m.update(b"7.n");
        let want: String = m.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(token, format!("7.n.{want}"));
    }

    #[test]
    fn an_altered_case_nonce_or_signature_is_refused_as_forged() {
        let token = sign(KEY, 42, "nonce");
        let sig = token.rsplit('.').next().unwrap();
        assert_eq!(
            verify(KEY, &format!("43.nonce.{sig}")),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify(KEY, &format!("42.noncf.{sig}")),
            Err(LinkError::BadSignature)
        );
        let mut bad = sig.to_string();
        let last = if bad.ends_with('0') { "1" } else { "0" };
        bad.replace_range(31.., last);
        assert_eq!(
            verify(KEY, &format!("42.nonce.{bad}")),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn a_link_signed_with_another_secret_is_refused_as_forged() {
        let token = sign(b"another secret", 42, "nonce");
        assert_eq!(verify(KEY, &token), Err(LinkError::BadSignature));
        assert_eq!(LinkError::BadSignature.code(), "link_forged");
    }

    #[test]
    fn garbage_is_refused_as_malformed() {
        let sig = "0".repeat(32);
        let long_nonce = "n".repeat(65);
        for token in [
            "",
            "a.b",
            "1..x",
            "-1.n.00",
            "1.n",
            "1.n.00",
            &format!("-1.n.{sig}"),
            &format!("+1.n.{sig}"),
            &format!("0.n.{sig}"),
            &format!("01.n.{sig}"),
            &format!("x.n.{sig}"),
            &format!("99999999999999999999.n.{sig}"),
            &format!("1..{sig}"),
            &format!("1.n!.{sig}"),
            &format!("1.{long_nonce}.{sig}"),
            &format!("1.n.{}", "0".repeat(31)),
            &format!("1.n.{}", "A".repeat(32)),
            &format!("1.n.{sig}.extra"),
            "1.n.ééééééééééééééé.",
        ] {
            assert_eq!(verify(KEY, token), Err(LinkError::Malformed), "{token:?}");
        }
        assert_eq!(LinkError::Malformed.code(), "link_malformed");
        assert!(LinkError::Malformed.message_zh().contains("评价链接"));
        assert!(LinkError::BadSignature.message_en().starts_with("This"));
    }

    proptest! {
        #[test]
        fn any_signed_link_round_trips(case_id in 1i64..=i64::MAX, nonce in "[A-Za-z0-9_-]{1,64}", secret in prop::collection::vec(any::<u8>(), 0..80)) {
            let token = sign(&secret, case_id, &nonce);
            prop_assert_eq!(verify(&secret, &token), Ok(LinkClaims { case_id, nonce }));
        }

        #[test]
        fn changing_any_one_character_of_a_token_is_refused(
            case_id in 1i64..1_000_000, nonce in "[A-Za-z0-9_-]{1,16}", at in any::<prop::sample::Index>(), c in "[0-9a-zA-Z_.+-]",
        ) {
            let token = sign(KEY, case_id, &nonce);
            let i = at.index(token.len());
            prop_assume!(token[i..=i] != c);
            let mut changed = token.clone();
            changed.replace_range(i..=i, &c);
            prop_assert!(verify(KEY, &changed).is_err());
        }
    }
}
