//! Where a rating was given (003, 004 §11). Recorded on every rating.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Self-service terminal in a hall (自助终端).
    Kiosk,
    /// Evaluator pad at a window (评价器 / PAD, 一机双屏).
    WindowPad,
    /// Static QR code of a window or place, not linked to a case (000).
    QrStatic,
    /// QR code or link made for one case.
    QrCase,
    /// Mobile web, app or mini-program.
    Mobile,
    /// PC web (一事一评 for online cases).
    PcWeb,
    /// Link in an SMS invitation (评价短信).
    Sms,
    /// Entered by staff from a phone call or the 12345 hotline.
    Phone,
    /// Entered by staff from a paper form (书面评价表格, 004 §11).
    Paper,
    /// Made by the server: 系统默认 for a case left unrated (004 §15).
    System,
}

impl Channel {
    pub const ALL: [Channel; 10] = [
        Channel::Kiosk,
        Channel::WindowPad,
        Channel::QrStatic,
        Channel::QrCase,
        Channel::Mobile,
        Channel::PcWeb,
        Channel::Sms,
        Channel::Phone,
        Channel::Paper,
        Channel::System,
    ];

    /// What a place's web endpoint (phone, PC, SMS links) may produce.
    pub const WEB: [Channel; 5] = [
        Channel::QrStatic,
        Channel::QrCase,
        Channel::Mobile,
        Channel::PcWeb,
        Channel::Sms,
    ];

    /// Staff enter these from paper forms and phone calls.
    pub const STAFF_ENTRY: [Channel; 2] = [Channel::Paper, Channel::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Kiosk => "kiosk",
            Channel::WindowPad => "window_pad",
            Channel::QrStatic => "qr_static",
            Channel::QrCase => "qr_case",
            Channel::Mobile => "mobile",
            Channel::PcWeb => "pc_web",
            Channel::Sms => "sms",
            Channel::Phone => "phone",
            Channel::Paper => "paper",
            Channel::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Kiosk => "自助终端",
            Channel::WindowPad => "窗口评价器",
            Channel::QrStatic => "静态二维码",
            Channel::QrCase => "办件二维码",
            Channel::Mobile => "移动端",
            Channel::PcWeb => "电脑端",
            Channel::Sms => "短信",
            Channel::Phone => "电话/12345",
            Channel::Paper => "书面评价表",
            Channel::System => "系统默认",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Channel::Kiosk => "Kiosk",
            Channel::WindowPad => "Window pad",
            Channel::QrStatic => "Static QR code",
            Channel::QrCase => "Case QR code",
            Channel::Mobile => "Mobile",
            Channel::PcWeb => "PC web",
            Channel::Sms => "SMS",
            Channel::Phone => "Phone / 12345",
            Channel::Paper => "Paper form",
            Channel::System => "System default",
        }
    }

    /// Ratings on these channels are about one case and must carry its
    /// signed single-use link.
    pub fn needs_link(self) -> bool {
        matches!(self, Channel::QrCase | Channel::Sms | Channel::PcWeb)
    }

    /// The channels a device of `kind` may send: a kiosk or pad its own
    /// one; a place's web endpoint the phone and PC channels; staff entry
    /// goes through the web endpoint with a staff member's name on it.
    pub fn allowed_for_device_kind(kind: &str) -> &'static [Channel] {
        match kind {
            "kiosk" => &[Channel::Kiosk],
            "window_pad" => &[Channel::WindowPad],
            "web" => &Channel::WEB,
            _ => &[],
        }
    }

    /// The channel a registered device of `kind` produces by default.
    pub fn for_device_kind(kind: &str) -> Option<Channel> {
        match kind {
            "kiosk" => Some(Channel::Kiosk),
            "window_pad" => Some(Channel::WindowPad),
            "web" => Some(Channel::QrStatic),
            _ => None,
        }
    }

    /// Given in the hall itself (pad, kiosk, window QR): the 现场 in 现场主动评价率.
    pub fn is_on_site(self) -> bool {
        matches!(
            self,
            Channel::Kiosk | Channel::WindowPad | Channel::QrStatic
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_name_parses_back_to_itself() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert_eq!(Channel::parse("fax"), None);
    }

    #[test]
    fn kiosk_and_pad_are_on_site_and_sms_is_not() {
        assert!(Channel::Kiosk.is_on_site());
        assert!(Channel::WindowPad.is_on_site());
        assert!(!Channel::Sms.is_on_site());
        assert!(!Channel::Paper.is_on_site());
    }
}
