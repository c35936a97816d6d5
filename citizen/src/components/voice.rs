//! Recorded voice prompts for kiosks and pads: short files shipped with the
//! app (`public/audio/{zh,en}/*.mp3`, made from text by `scripts/voice.sh`),
//! so a terminal speaks even when its system has no Chinese voice.

use leptos::prelude::*;

use app::api::types::DeviceConfig;
use app::web;
use domain::Level;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// 请您对本次服务作出评价
    PleaseRate,
    /// 谢谢您的评价
    Thanks,
    /// The level's name, said when it is touched.
    Level(Level),
}

impl Prompt {
    pub const ALL: [Prompt; 7] = [
        Prompt::PleaseRate,
        Prompt::Thanks,
        Prompt::Level(Level::VerySatisfied),
        Prompt::Level(Level::Satisfied),
        Prompt::Level(Level::Basic),
        Prompt::Level(Level::Dissatisfied),
        Prompt::Level(Level::VeryDissatisfied),
    ];

    /// The file's name without directory or extension.
    pub fn file(self) -> &'static str {
        match self {
            Prompt::PleaseRate => "please_rate",
            Prompt::Thanks => "thanks",
            Prompt::Level(l) => l.as_str(),
        }
    }

    /// Where the recording is served, per language.
    pub fn url(self, lang_code: &str) -> String {
        let dir = if lang_code == "en" { "en" } else { "zh" };
        format!("/audio/{dir}/{}.mp3", self.file())
    }
}

/// Every recording, in both languages: a kiosk with voice on keeps them
/// for offline use (browser only).
pub fn keep_offline() {
    let all: Vec<String> = ["zh", "en"]
        .iter()
        .flat_map(|l| Prompt::ALL.iter().map(move |p| p.url(l)))
        .collect();
    web::keep_offline(&all);
}

/// Plays the prompts one after another (browser only).
pub fn say(prompts: &[Prompt], lang_code: &str) {
    web::play_prompts(prompts.iter().map(|p| p.url(lang_code)).collect());
}

/// Whether `device` speaks its prompts; with voice on, the recordings are
/// kept for offline use (browser only).
pub fn use_voice(device: RwSignal<Option<DeviceConfig>>) -> Signal<bool> {
    let on = Signal::derive(move || device.with(|d| d.as_ref().is_some_and(|d| d.voice)));
    Effect::new(move |done: Option<bool>| {
        if done != Some(true) && on.get() {
            keep_offline();
            return true;
        }
        done.unwrap_or(false)
    });
    on
}
