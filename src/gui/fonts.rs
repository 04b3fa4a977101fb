//! A font with Chinese glyphs for the panels and the map labels. egui's own
//! fonts have none, so one is looked for on the system: `TABLETOP_CJK_FONT`
//! first, then the usual places of WenQuanYi, Noto Sans CJK, Droid Sans
//! Fallback, PingFang and Microsoft YaHei, then `fc-match :lang=zh`.

use std::path::PathBuf;
use std::sync::Arc;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

/// What is printed (and shown in the window) when no font is found.
pub const MISSING: &str = "warning: no font with Chinese characters found, so Chinese names show as boxes; \
install one (Debian/Ubuntu: `apt-get install fonts-wqy-microhei`, or fonts-noto-cjk) \
or point TABLETOP_CJK_FONT at a .ttf/.ttc/.otf file";

/// Where fonts with Chinese glyphs usually are.
const CANDIDATES: [&str; 12] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
];

/// The font found (path and bytes), if any.
#[derive(Resource, Clone, Default)]
pub struct CjkFont(pub Option<(PathBuf, Arc<Vec<u8>>)>);

/// Look for a font with Chinese glyphs.
pub fn find_cjk() -> Option<(PathBuf, Arc<Vec<u8>>)> {
    let from_env = std::env::var_os("TABLETOP_CJK_FONT").map(PathBuf::from);
    let from_fc = || {
        std::process::Command::new("fc-match")
            .args(["-f", "%{file}", ":lang=zh"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
    };
    if let Some(p) = &from_env {
        match std::fs::read(p) {
            Ok(bytes) => return Some((p.clone(), Arc::new(bytes))),
            Err(e) => eprintln!("warning: TABLETOP_CJK_FONT={}: {e}", p.display()),
        }
    }
    CANDIDATES
        .iter()
        .map(PathBuf::from)
        .chain(from_fc())
        .find_map(|p| std::fs::read(&p).ok().map(|b| (p, Arc::new(b))))
}

/// Give egui the font once, as a fallback after its own (Latin) fonts.
pub fn install(mut contexts: EguiContexts, font: Res<CjkFont>, mut done: Local<bool>) -> Result {
    if *done {
        return Ok(());
    }
    *done = true;
    let ctx = contexts.ctx_mut()?;
    let mut fonts = egui::FontDefinitions::default();
    if let Some((_, bytes)) = &font.0 {
        fonts
            .font_data
            .insert("cjk".into(), Arc::new(egui::FontData::from_owned(bytes.to_vec())));
        for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
            fonts.families.entry(family).or_default().push("cjk".into());
        }
    }
    ctx.set_fonts(fonts);
    Ok(())
}
