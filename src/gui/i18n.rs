//! The two languages of the window. Every label is written in place in both,
//! `lang.pick("Pause", "暂停")`, so a missing translation cannot happen.

use bevy::prelude::*;

/// Interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 中文.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The label in this language.
    pub fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// A name given in both (`name`, `name_zh`): the interface language's first,
    /// the other after it where they differ.
    pub fn both(self, name: &str, name_zh: &str) -> String {
        let (a, b) = match self {
            Lang::Zh => (name_zh, name),
            Lang::En => (name, name_zh),
        };
        if b.is_empty() || a == b {
            a.to_string()
        } else if a.is_empty() {
            b.to_string()
        } else {
            format!("{a} ({b})")
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "zh" | "zh-CN" | "cn" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            other => Err(format!("expected zh or en, found {other:?}")),
        }
    }
}

/// The language the window speaks now (switchable in the top bar).
#[derive(Resource, Debug, Clone, Copy)]
pub struct UiLang(pub Lang);
