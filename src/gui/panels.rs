//! The panels (egui): the clock on top, the MSEL and the facilitator's tools
//! on the left, the scoreboard, the inspector and the evaluation on the right,
//! the event log at the bottom; the map fills the rest. Every decision taken
//! here becomes a drill [`Command`] through [`Host::command`].

use std::time::Instant;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use egui::{Align2, Color32, RichText};

use super::FrameStats;
use super::i18n::{Lang, UiLang};
use super::map::{MapAssets, Pick, Tool, ToolClick, View, colours};
use crate::city::Xy;
use crate::drill::Command;
use crate::drill::session::{SPEEDS, Session};
use crate::drill::view::{self, ReliefStatus, ZoneScore};
use crate::scenario::time::TimeSpec;
use crate::scenario::time::{SimDuration, SimTime};
use crate::scenario::{Action, HazardSpec, InjectSpec, RoadSel, Site};

/// What the panels remember between frames.
#[derive(Default)]
pub struct PanelState {
    log_filter: String,
    log_kind: String,
    wind_m_s: f64,
    wind_from: f64,
    wind_set: bool,
    depot: usize,
    zone: usize,
    priority_depot: usize,
    truck: u32,
    note: String,
    comment: String,
    review_t: f64,
}

fn col(c: [u8; 3]) -> Color32 {
    Color32::from_rgb(c[0], c[1], c[2])
}

fn hm(s: i64) -> String {
    let sign = if s < 0 { "-" } else { "" };
    let s = s.abs();
    format!("{sign}{}:{:02}", s / 3600, (s % 3600) / 60)
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// An improvised inject made on the spot (delivered now).
fn improvised(text: String, action: Action) -> Command {
    Command::Inject(Box::new(InjectSpec {
        id: None,
        at: TimeSpec("0s".into()),
        text,
        action,
        expect: Vec::new(),
    }))
}

/// The panels, and the labels drawn over the map.
#[allow(clippy::too_many_arguments)]
pub fn ui(
    mut contexts: EguiContexts,
    mut host: NonSendMut<Session>,
    mut view: ResMut<View>,
    mut click: ResMut<ToolClick>,
    mut lang: ResMut<UiLang>,
    font: Res<super::fonts::CjkFont>,
    mut stats: ResMut<FrameStats>,
    mut st: Local<PanelState>,
    assets: Option<Res<MapAssets>>,
) -> Result {
    let started = Instant::now();
    let _ = assets;
    let ctx = contexts.ctx_mut()?.clone();
    let l = lang.0;
    let host = &mut *host;
    if !st.wind_set {
        let w = host.drill.world().resource::<crate::hazard::sim::CurrentWeather>();
        st.wind_m_s = w.wind_m_s;
        st.wind_from = w.wind_from_deg;
        st.wind_set = true;
    }
    // A click with an inject tool becomes a command.
    if let Some((tool, pick)) = click.0.take() {
        tool_command(host, tool, pick, l);
        if matches!(tool, Tool::AssignTruck(_)) {
            view.tool = Tool::Inspect;
        }
    }
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    egui::Panel::top("clock").show(&mut root, |ui| {
        clock_bar(ui, host, &mut lang, &mut st, &stats, font.0.is_some())
    });
    egui::Panel::bottom("log")
        .resizable(true)
        .default_size(150.0)
        .show(&mut root, |ui| event_log(ui, host, &mut st, l));
    egui::Panel::left("msel")
        .resizable(true)
        .default_size(340.0)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                msel(ui, host, l);
                ui.separator();
                if host.review.is_none() {
                    improvise(ui, host, &mut view, &mut st, l);
                    ui.separator();
                    snapshots(ui, host, l);
                } else {
                    decisions(ui, host, l);
                }
            });
        });
    egui::Panel::right("score")
        .resizable(true)
        .default_size(340.0)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                scoreboard(ui, host, l);
                ui.separator();
                if host.review.is_none() {
                    players(ui, host, &mut st, l);
                    ui.separator();
                }
                inspector(ui, host, &mut view, &mut st, l);
                ui.separator();
                evaluation(ui, host, &mut st, l);
            });
        });
    let central = root.available_rect_before_wrap();
    view.rect = [central.min.x, central.min.y, central.max.x, central.max.y];
    map_labels(&ctx, host, &view, l, central);
    banners(&ctx, host, l);
    super::add_ui_time(&mut stats, started);
    Ok(())
}

fn clock_bar(
    ui: &mut egui::Ui,
    host: &mut Session,
    lang: &mut UiLang,
    st: &mut PanelState,
    stats: &FrameStats,
    cjk: bool,
) {
    let l = lang.0;
    let spec = host.drill.spec().clone();
    let now = host.drill.now();
    ui.horizontal_wrapped(|ui| {
        ui.heading(l.both(&spec.name, spec.name_zh.as_deref().unwrap_or("")));
        ui.separator();
        let wall = spec.start + chrono::Duration::seconds(now.secs());
        ui.label(
            RichText::new(format!("T+{}  ·  {}", hm(now.secs()), wall.format("%Y-%m-%d %H:%M")))
                .monospace()
                .strong(),
        );
        ui.label(format!("/ {}", hm(spec.end.secs())));
        ui.separator();
        if host.review.is_some() {
            let end_h = spec.end.secs() as f64 / 3600.0;
            st.review_t = now.secs() as f64 / 3600.0;
            let slider = ui.add(
                egui::Slider::new(&mut st.review_t, 0.0..=end_h)
                    .text(l.pick("h (review)", "小时（复盘）"))
                    .step_by(spec.step.secs() as f64 / 3600.0),
            );
            // The decisions, marked under the slider.
            let rail = slider.rect;
            let w = (rail.width() - 70.0).max(10.0);
            if let Some((_, r)) = &host.review {
                for e in &r.commands {
                    let x = rail.left() + w * (e.at_s as f32 / (end_h as f32 * 3600.0));
                    ui.painter().line_segment(
                        [egui::pos2(x, rail.bottom() - 3.0), egui::pos2(x, rail.bottom() + 2.0)],
                        egui::Stroke::new(2.0, Color32::from_rgb(0xfd, 0xae, 0x61)),
                    );
                }
            }
            if slider.drag_stopped() || (slider.changed() && !slider.dragged()) {
                let step = spec.step.secs();
                let t = ((st.review_t * 3600.0) as i64 / step) * step;
                host.seek(SimTime(t));
            }
        }
        let play = if host.paused {
            l.pick("▶ Run", "▶ 运行")
        } else {
            l.pick("⏸ Pause", "⏸ 暂停")
        };
        if ui.button(play).clicked() && !host.drill.finished() {
            host.paused = !host.paused;
            if !host.paused && host.due.is_some() {
                host.paused = true;
            }
        }
        if ui.button(l.pick("Step", "单步")).clicked()
            && host.due.is_none()
            && let Err(e) = host.step_once()
        {
            host.status = Some((false, e.to_string()));
        }
        for s in SPEEDS {
            if ui.selectable_label(host.speed == s, format!("{s}×")).clicked() {
                host.speed = s;
            }
        }
        if host.review.is_none() {
            let next = host.drill.next_inject_at();
            let label = match next {
                Some(t) => format!("{} ({})", l.pick("⏭ Next inject", "⏭ 下一条注入"), hm(t.secs())),
                None => l.pick("⏭ No inject left", "⏭ 无待发注入").to_string(),
            };
            if ui
                .add_enabled(next.is_some() && host.due.is_none(), egui::Button::new(label))
                .clicked()
                && let Some(t) = next
                && let Err(e) = host.fast_forward(t)
            {
                host.status = Some((false, e.to_string()));
            }
        }
        ui.separator();
        if ui.selectable_label(l == Lang::Zh, "中文").clicked() {
            lang.0 = Lang::Zh;
        }
        if ui.selectable_label(l == Lang::En, "English").clicked() {
            lang.0 = Lang::En;
        }
        ui.separator();
        let (s, u) = stats.last();
        ui.label(RichText::new(format!("sim {s:.1} ms · UI {u:.1} ms")).small().weak());
    });
    if !cjk {
        ui.colored_label(Color32::from_rgb(0xb2, 0x18, 0x2b), super::fonts::MISSING);
    }
    if let Some((ok, msg)) = &host.status {
        let c = if *ok {
            Color32::from_rgb(0x1a, 0x96, 0x41)
        } else {
            Color32::from_rgb(0xd7, 0x19, 0x1c)
        };
        ui.colored_label(c, msg);
    }
}

fn msel(ui: &mut egui::Ui, host: &mut Session, l: Lang) {
    ui.heading(l.pick("Injects (MSEL)", "情景注入（MSEL）"));
    let now = host.drill.now();
    let pending = host.drill.pending_injects();
    if pending.is_empty() {
        ui.label(l.pick("No inject pending.", "没有待发注入。"));
    }
    let review = host.review.is_some();
    for (t, id, text) in pending {
        ui.group(|ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(hm(t.secs())).monospace().strong());
                ui.label(RichText::new(&id).monospace());
            });
            ui.label(&text);
            if !review {
                ui.horizontal(|ui| {
                    if ui.small_button(l.pick("Deliver now", "立即下达")).clicked() {
                        host.command(Command::Deliver(id.clone()));
                    }
                    if ui.small_button(l.pick("Delay 30 min", "推迟30分钟")).clicked() {
                        let until = t.max(now).plus(SimDuration(1800));
                        host.command(Command::Delay(id.clone(), format!("{}s", until.secs())));
                    }
                    if ui.small_button(l.pick("Skip", "跳过")).clicked() {
                        host.command(Command::Skip(id.clone()));
                    }
                });
            }
        });
    }
    if !host.announced.is_empty() {
        ui.collapsing(l.pick("Delivered", "已下达"), |ui| {
            for (t, id, text) in host.announced.iter().rev() {
                ui.label(format!("{} {id}: {text}", hm(t.secs())));
            }
        });
    }
}

fn improvise(ui: &mut egui::Ui, host: &mut Session, view: &mut View, st: &mut PanelState, l: Lang) {
    ui.heading(l.pick("Improvise an inject", "临机注入"));
    ui.label(RichText::new(l.pick("Pick a tool, then click the map.", "选择工具后点击地图。")).small());
    ui.horizontal_wrapped(|ui| {
        for (tool, en, zh) in [
            (Tool::Inspect, "Inspect", "查看"),
            (Tool::CloseRoad, "Close road", "封闭道路"),
            (Tool::DamageRoad, "Damage road", "道路损毁"),
            (Tool::OpenRoad, "Reopen road", "恢复通行"),
            (Tool::Fire, "Fire here", "此处起火"),
            (Tool::Breach, "Levee breach here", "此处决口"),
        ] {
            ui.selectable_value(&mut view.tool, tool, l.pick(en, zh));
        }
    });
    ui.horizontal(|ui| {
        ui.label(l.pick("Wind", "风"));
        ui.add(
            egui::DragValue::new(&mut st.wind_m_s)
                .range(0.0..=30.0)
                .speed(0.1)
                .suffix(" m/s"),
        );
        ui.label(l.pick("from", "来向"));
        ui.add(
            egui::DragValue::new(&mut st.wind_from)
                .range(0.0..=359.0)
                .speed(1.0)
                .suffix("°"),
        );
        if ui.button(l.pick("Shift wind", "风向突变")).clicked() {
            let text = format!("Wind now {:.1} m/s from {:.0}°", st.wind_m_s, st.wind_from);
            host.command(improvised(text, Action::Wind(st.wind_m_s, st.wind_from)));
        }
    });
    let depots = host.drill.spec().depots.clone();
    if !depots.is_empty() {
        ui.horizontal(|ui| {
            st.depot = st.depot.min(depots.len() - 1);
            egui::ComboBox::from_id_salt("depot")
                .selected_text(&depots[st.depot].name)
                .show_ui(ui, |ui| {
                    for (k, d) in depots.iter().enumerate() {
                        ui.selectable_value(&mut st.depot, k, &d.name);
                    }
                });
            let d = &depots[st.depot];
            service_buttons(
                ui,
                host,
                l,
                &format!("Depot {}", d.name),
                Action::DepotOutOfService(d.id.clone()),
                Action::DepotInService(d.id.clone()),
            );
        });
    }
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut st.note)
                .hint_text(l.pick("message to the players", "向演练人员发布的消息")),
        );
        if ui.button(l.pick("Deliver", "下达")).clicked() && !st.note.trim().is_empty() {
            host.command(improvised(std::mem::take(&mut st.note), Action::Note));
        }
    });
}

/// "Out of service" / "Back in service" for a depot or a team, as improvised injects.
fn service_buttons(ui: &mut egui::Ui, host: &mut Session, l: Lang, name: &str, out: Action, back: Action) {
    ui.horizontal(|ui| {
        if ui.small_button(l.pick("Out of service", "停用")).clicked() {
            host.command(improvised(format!("{name} out of service"), out));
        }
        if ui.small_button(l.pick("Back in service", "恢复")).clicked() {
            host.command(improvised(format!("{name} back in service"), back));
        }
    });
}

/// A click with an inject tool: the improvised inject it stands for.
fn tool_command(host: &mut Session, tool: Tool, pick: Pick, l: Lang) {
    let city = host.drill.spec().city.clone();
    let n = host.drill.record().commands.len() + 1;
    let command = match (tool, pick) {
        (Tool::CloseRoad | Tool::DamageRoad | Tool::OpenRoad, Pick::Segment(s)) => {
            let seg = &city.segments[s as usize];
            let sel = RoadSel::Edge(format!("#{}", seg.a), format!("#{}", seg.b));
            let name = format!("{} – {}", city.node_label(seg.a), city.node_label(seg.b));
            match tool {
                Tool::CloseRoad => improvised(format!("Road closed: {name}"), Action::CloseRoads(sel)),
                Tool::DamageRoad => improvised(format!("Road damaged: {name}"), Action::DamageRoads(sel)),
                _ => improvised(format!("Road reopened: {name}"), Action::OpenRoads(sel)),
            }
        }
        (Tool::Fire, Pick::Point(xy)) => {
            let ll = city.projection.to_latlon(xy);
            improvised(
                l.pick("A fire has broken out here.", "此处发生火灾。").into(),
                Action::Hazard(HazardSpec::Fire {
                    id: format!("fire-{n}"),
                    at: Site::LatLon(ll.lat, ll.lon),
                    start: TimeSpec("0s".into()),
                }),
            )
        }
        (Tool::Breach, Pick::Point(xy)) => {
            let ll = city.projection.to_latlon(xy);
            improvised(
                l.pick("The levee has breached here.", "此处堤防决口。").into(),
                Action::Hazard(HazardSpec::Breach {
                    id: format!("breach-{n}"),
                    at: Site::LatLon(ll.lat, ll.lon),
                    start: TimeSpec("0s".into()),
                    inflow_m3_s: vec![
                        ("0".into(), 0.0),
                        ("1h".into(), 300.0),
                        ("12h".into(), 300.0),
                        ("24h".into(), 0.0),
                    ],
                }),
            )
        }
        (Tool::AssignTruck(truck), Pick::Group(group)) => Command::Assign(truck, group),
        _ => return,
    };
    host.command(command);
}

fn snapshots(ui: &mut egui::Ui, host: &mut Session, l: Lang) {
    ui.heading(l.pick("Snapshots and branches", "快照与分支"));
    if ui.button(l.pick("Save snapshot now", "保存当前快照")).clicked() {
        host.snapshot();
    }
    let mut back = None;
    for (k, s) in host.snapshots.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.label(&s.name);
            if ui
                .small_button(l.pick("Go back here (new branch)", "回到此处（新分支）"))
                .clicked()
            {
                back = Some(k);
            }
        });
    }
    if let Some(k) = back {
        host.rewind_to(k);
    }
    if !host.branches.is_empty() {
        if ui
            .button(l.pick("Score the branches (run each to the end)", "分支评分（各自运行至结束）"))
            .clicked()
        {
            host.score_branches();
        }
        egui::Grid::new("branches").striped(true).show(ui, |ui| {
            ui.label(l.pick("branch", "分支"));
            ui.label(l.pick("decisions", "决策"));
            ui.label("12 h");
            ui.label("24 h");
            ui.label(l.pick("deaths", "死亡"));
            ui.end_row();
            for b in &host.branches {
                ui.label(&b.name);
                ui.label(b.record.commands.len().to_string());
                match &b.score {
                    Some(Ok(s)) => {
                        ui.label(pct(s.initial_12h));
                        ui.label(pct(s.basic_24h));
                        ui.label(s.deaths.to_string());
                    }
                    Some(Err(e)) => {
                        ui.label(e);
                    }
                    None if b.pending.is_some() => {
                        ui.spinner();
                    }
                    None => {
                        ui.label("–");
                    }
                }
                ui.end_row();
            }
        });
    }
    ui.separator();
    if ui
        .button(l.pick(
            "End drill: run to the end, write the report",
            "结束演练：运行至结束并生成报告",
        ))
        .clicked()
    {
        host.write_report();
    }
}

/// Review: the decisions of the drill, each a jump to its moment.
fn decisions(ui: &mut egui::Ui, host: &mut Session, l: Lang) {
    ui.heading(l.pick("Decisions", "决策点"));
    let commands = host
        .review
        .as_ref()
        .map(|(_, r)| r.commands.clone())
        .unwrap_or_default();
    if commands.is_empty() {
        ui.label(l.pick("No decision was recorded.", "没有记录的决策。"));
    }
    for e in commands {
        ui.horizontal(|ui| {
            if ui.small_button(hm(e.at_s)).clicked() {
                host.seek(SimTime(e.at_s));
            }
            ui.label(format!("{:?}", e.command));
        });
    }
}

fn gauge(ui: &mut egui::Ui, label: &str, share: f64) {
    let colour = if share >= 0.95 {
        col(colours::STATUS[2])
    } else if share >= 0.8 {
        col(colours::STATUS[1])
    } else {
        col(colours::STATUS[3])
    };
    ui.add(
        egui::ProgressBar::new(share as f32)
            .fill(colour)
            .text(format!("{label}: {}", pct(share))),
    );
}

fn scoreboard(ui: &mut egui::Ui, host: &mut Session, l: Lang) {
    ui.heading(l.pick("Scoreboard", "时效看板"));
    let spec = host.drill.spec().clone();
    let board = view::scoreboard(host.drill.world());
    let city: &ZoneScore = &board[0];
    ui.label(format!("{}: {}", l.pick("affected", "受灾人数"), city.affected));
    gauge(
        ui,
        l.pick("initial relief ≤ 12 h", "12小时内初步救助"),
        city.initial_share(),
    );
    gauge(
        ui,
        l.pick("basic relief ≤ 24 h", "24小时内基本生活救助"),
        city.basic_share(),
    );
    if let Some(d) = city.next_due_s {
        let text = if d < 0 {
            format!("{} {}", l.pick("overdue by", "已超时"), hm(-d))
        } else {
            format!("{} {}", l.pick("next deadline in", "最近时限还剩"), hm(d))
        };
        ui.label(RichText::new(text).strong());
    }
    egui::Grid::new("zones").striped(true).show(ui, |ui| {
        ui.label(l.pick("zone", "乡镇/街道"));
        ui.label(l.pick("people", "人数"));
        ui.label("12 h");
        ui.label("24 h");
        ui.label(l.pick("due", "时限"));
        ui.end_row();
        for z in &board[1..] {
            let zone = &spec.city.zones[usize::from(z.zone.unwrap_or(0))];
            ui.label(l.both(&zone.name, &zone.name_zh));
            ui.label(z.affected.to_string());
            ui.label(pct(z.initial_share()));
            ui.label(pct(z.basic_share()));
            match z.next_due_s {
                Some(d) if d < 0 => ui.colored_label(col(colours::STATUS[3]), format!("-{}", hm(-d))),
                Some(d) => ui.label(hm(d)),
                None => ui.label("✔"),
            };
            ui.end_row();
        }
    });
}

/// The players' commands: evacuate a zone, take it under manual dispatch or
/// hand it back, and a depot's priorities.
fn players(ui: &mut egui::Ui, host: &mut Session, st: &mut PanelState, l: Lang) {
    ui.heading(l.pick("Command", "指挥"));
    let spec = host.drill.spec().clone();
    let zones = &spec.city.zones;
    if zones.is_empty() {
        return;
    }
    st.zone = st.zone.min(zones.len() - 1);
    let zone_name = |k: usize| l.both(&zones[k].name, &zones[k].name_zh);
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_id_salt("zone")
            .selected_text(zone_name(st.zone))
            .show_ui(ui, |ui| {
                for k in 0..zones.len() {
                    ui.selectable_value(&mut st.zone, k, zone_name(k));
                }
            });
        let z = zones[st.zone].name_zh.clone();
        if ui.small_button(l.pick("Order evacuation", "下令转移")).clicked() {
            host.command(Command::Evacuate(z.clone()));
        }
        if ui.small_button(l.pick("Dispatch by hand", "人工调度")).clicked() {
            host.command(Command::Manual(z.clone()));
        }
        if ui
            .small_button(l.pick("Hand back to automatic", "交回自动调度"))
            .clicked()
        {
            host.command(Command::Auto(z));
        }
    });
    let manual = host.drill.manual_zones();
    if !manual.is_empty() {
        let names: Vec<String> = manual.iter().map(|&k| zone_name(k)).collect();
        ui.label(format!(
            "{}: {}",
            l.pick("dispatched by hand", "人工调度中"),
            names.join(", ")
        ));
    }
    let depots = &spec.depots;
    if !depots.is_empty() {
        st.priority_depot = st.priority_depot.min(depots.len() - 1);
        ui.horizontal_wrapped(|ui| {
            egui::ComboBox::from_id_salt("priority-depot")
                .selected_text(&depots[st.priority_depot].name)
                .show_ui(ui, |ui| {
                    for (k, d) in depots.iter().enumerate() {
                        ui.selectable_value(&mut st.priority_depot, k, &d.name);
                    }
                });
            let id = depots[st.priority_depot].id.clone();
            if ui
                .small_button(l.pick("serves this zone first", "优先保障该乡镇"))
                .clicked()
            {
                host.command(Command::DepotPriority(id.clone(), vec![zones[st.zone].name_zh.clone()]));
            }
            if ui.small_button(l.pick("no priority", "取消优先")).clicked() {
                host.command(Command::DepotPriority(id, Vec::new()));
            }
        });
    }
}

fn inspector(ui: &mut egui::Ui, host: &mut Session, view: &mut View, st: &mut PanelState, l: Lang) {
    ui.heading(l.pick("Inspector", "详情"));
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut view.show_groups, l.pick("groups", "受灾点"));
        ui.checkbox(&mut view.show_units, l.pick("units", "队伍车辆"));
        ui.checkbox(&mut view.show_hazards, l.pick("hazards", "灾害"));
    });
    let Some(sel) = view.selection else {
        ui.label(l.pick("Click something on the map.", "点击地图上的对象。"));
        return;
    };
    let spec = host.drill.spec().clone();
    let city = &spec.city;
    match sel {
        Pick::Unit(u) => {
            let mut trails = host.trails.clone();
            if let Some(m) = view::units(host.drill.world(), &mut trails)
                .into_iter()
                .find(|m| m.unit == u)
            {
                ui.label(RichText::new(&m.label).strong());
                ui.label(format!("{:?} · {:?}", m.kind, m.activity));
                ui.label(&m.detail);
                if !matches!(u, view::UnitRef::Truck(_)) && host.review.is_none() {
                    let id = m.label.clone();
                    service_buttons(
                        ui,
                        host,
                        l,
                        &format!("Team {id}"),
                        Action::TeamOutOfService(id.clone()),
                        Action::TeamInService(id),
                    );
                }
                if let view::UnitRef::Truck(n) = u
                    && host.review.is_none()
                    && m.activity == view::Activity::Idle
                    && ui
                        .button(l.pick("Send to a group: click it on the map", "派往受灾点：在地图上点击"))
                        .clicked()
                {
                    view.tool = Tool::AssignTruck(n);
                }
            }
        }
        Pick::Group(id) => {
            if let Some(g) = view::groups(host.drill.world()).into_iter().find(|g| g.id == id) {
                let zone = &city.zones[usize::from(g.zone)];
                ui.label(RichText::new(format!("Group #{id}")).strong());
                ui.label(format!(
                    "{} · {}",
                    l.both(&zone.name, &zone.name_zh),
                    city.node_label(g.node)
                ));
                ui.label(format!(
                    "{} {} · {} {} · {} {}",
                    g.people,
                    l.pick("people", "人"),
                    g.initial,
                    l.pick("initial", "初步救助"),
                    g.basic,
                    l.pick("basic", "基本生活")
                ));
                let status = match g.status {
                    ReliefStatus::Waiting => l.pick("waiting", "等待中"),
                    ReliefStatus::Initial => l.pick("initial relief", "已获初步救助"),
                    ReliefStatus::Basic => l.pick("basic relief", "已获基本生活救助"),
                    ReliefStatus::Overdue => l.pick("overdue", "已超时"),
                };
                ui.label(status);
                if let Some(d) = g.due_in_s {
                    ui.label(format!("{} {}", l.pick("deadline in", "时限还剩"), hm(d)));
                }
                if host.review.is_none() {
                    let mut trails = host.trails.clone();
                    let idle: Vec<(u32, String)> = view::units(host.drill.world(), &mut trails)
                        .into_iter()
                        .filter_map(|u| match u.unit {
                            view::UnitRef::Truck(n) if u.activity == view::Activity::Idle => Some((n, u.label)),
                            _ => None,
                        })
                        .collect();
                    if !idle.is_empty() {
                        if !idle.iter().any(|(n, _)| *n == st.truck) {
                            st.truck = idle[0].0;
                        }
                        ui.horizontal(|ui| {
                            let label = idle.iter().find(|(n, _)| *n == st.truck).map_or("", |x| x.1.as_str());
                            egui::ComboBox::from_id_salt("truck")
                                .selected_text(label)
                                .show_ui(ui, |ui| {
                                    for (n, name) in &idle {
                                        ui.selectable_value(&mut st.truck, *n, name);
                                    }
                                });
                            if ui.small_button(l.pick("Send", "派出")).clicked() {
                                host.command(Command::Assign(st.truck, id));
                            }
                        });
                    }
                }
            }
        }
        Pick::Place(k) => {
            let p = &city.places[k];
            ui.label(RichText::new(l.both(&p.name, &p.name_zh)).strong());
            ui.label(format!("{:?}", p.kind));
        }
        Pick::Depot(k) => {
            let d = &spec.depots[k];
            ui.label(RichText::new(&d.name).strong());
            ui.label(format!("{} · {}", d.id, d.tier.label()));
            let (id, name) = (d.id.clone(), format!("Depot {}", d.name));
            if host.review.is_none() {
                service_buttons(
                    ui,
                    host,
                    l,
                    &name,
                    Action::DepotOutOfService(id.clone()),
                    Action::DepotInService(id),
                );
            }
        }
        Pick::Segment(s) => {
            let seg = &city.segments[s as usize];
            ui.label(RichText::new(seg.name.clone().unwrap_or_else(|| format!("{:?}", seg.class))).strong());
            ui.label(format!(
                "{} – {} · {:.0} m · {:.0} km/h",
                city.node_label(seg.a),
                city.node_label(seg.b),
                seg.length_m,
                seg.speed_kmh
            ));
            let roads = host.drill.world().resource::<crate::city::routing::RoadState>();
            ui.label(format!(
                "{:?}{}{}",
                roads.get(s),
                if roads.damaged(s) { " · damaged" } else { "" },
                if roads.depth(s) > 0.0 {
                    format!(" · water {:.2} m", roads.depth(s))
                } else {
                    String::new()
                }
            ));
            if host.review.is_none() {
                ui.horizontal(|ui| {
                    for (tool, en, zh) in [
                        (Tool::CloseRoad, "Close", "封闭"),
                        (Tool::DamageRoad, "Damage", "损毁"),
                        (Tool::OpenRoad, "Reopen", "恢复"),
                    ] {
                        if ui.small_button(l.pick(en, zh)).clicked() {
                            tool_command(host, tool, Pick::Segment(s), l);
                        }
                    }
                });
            }
        }
        Pick::Point(xy) => {
            let ll = city.projection.to_latlon(xy);
            ui.label(format!("{:.5}, {:.5}", ll.lat, ll.lon));
        }
    }
}

fn evaluation(ui: &mut egui::Ui, host: &mut Session, st: &mut PanelState, l: Lang) {
    let spec = host.drill.spec().clone();
    let now_h = host.drill.now().secs() as f64 / 3600.0;
    if spec.injects.iter().any(|i| !i.expect.is_empty()) {
        ui.heading(l.pick("Evaluation (EEG)", "评估（EEG）"));
        let journal = host.drill.world().resource::<crate::sim::journal::Journal>();
        let pending: Vec<String> = host.drill.pending_injects().into_iter().map(|p| p.1).collect();
        for e in crate::report::evaluation::evaluate(&spec, &journal.events) {
            let (text, c) = match e.status {
                "met" => (l.pick("met", "达成"), colours::STATUS[2]),
                "late" => (l.pick("late", "超时达成"), colours::STATUS[1]),
                "missed" if e.due_h.is_some_and(|d| d > now_h) => (l.pick("open", "进行中"), colours::STATUS[0]),
                "missed" => (l.pick("missed", "未达成"), colours::STATUS[3]),
                _ if pending.contains(&e.inject) => (l.pick("not yet delivered", "尚未下达"), colours::STATUS[0]),
                _ => (l.pick("not delivered", "未下达"), colours::STATUS[0]),
            };
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(col(c), text);
                ui.label(format!("{}: {}", e.inject, e.task));
            });
        }
    }
    ui.heading(l.pick("Evaluator comments", "评估员意见"));
    for c in &host.comments {
        ui.label(format!("{} {}", hm(c.at.secs()), c.text));
    }
    ui.horizontal(|ui| {
        ui.text_edit_singleline(&mut st.comment);
        if ui.button(l.pick("Add", "添加")).clicked() && !st.comment.trim().is_empty() {
            let at = host.drill.now();
            host.comments.push(crate::drill::session::Comment {
                at,
                text: std::mem::take(&mut st.comment),
            });
        }
    });
}

fn event_log(ui: &mut egui::Ui, host: &mut Session, st: &mut PanelState, l: Lang) {
    ui.horizontal(|ui| {
        ui.heading(l.pick("Event log", "事件日志"));
        ui.label(l.pick("filter", "筛选"));
        ui.text_edit_singleline(&mut st.log_filter);
        let kinds: std::collections::BTreeSet<&str> = host.log.iter().map(|x| x.kind.as_str()).collect();
        egui::ComboBox::from_id_salt("kind")
            .selected_text(if st.log_kind.is_empty() {
                l.pick("all kinds", "全部类型")
            } else {
                st.log_kind.as_str()
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut st.log_kind, String::new(), l.pick("all kinds", "全部类型"));
                for k in kinds {
                    ui.selectable_value(&mut st.log_kind, k.to_string(), k);
                }
            });
        ui.label(format!("{} {}", host.log.len(), l.pick("events", "条")));
    });
    let filter = st.log_filter.to_lowercase();
    let lines: Vec<&view::LogLine> = host
        .log
        .iter()
        .filter(|x| st.log_kind.is_empty() || x.kind == st.log_kind)
        .filter(|x| {
            filter.is_empty() || x.text.to_lowercase().contains(&filter) || x.kind.to_lowercase().contains(&filter)
        })
        .collect();
    let row_h = ui.text_style_height(&egui::TextStyle::Monospace);
    egui::ScrollArea::vertical()
        .stick_to_bottom(true)
        .auto_shrink([false, false])
        .show_rows(ui, row_h, lines.len(), |ui, range| {
            for x in &lines[range] {
                ui.label(RichText::new(format!("{} {:<12} {}", hm(x.t.secs()), x.kind, x.text)).monospace());
            }
        });
}

/// Zone names, the selection ring and a legend, over the map.
fn map_labels(ctx: &egui::Context, host: &Session, view: &View, l: Lang, rect: egui::Rect) {
    let painter = ctx
        .layer_painter(egui::LayerId::new(egui::Order::Middle, egui::Id::new("map-labels")))
        .with_clip_rect(rect);
    let city = &host.drill.spec().city;
    let font = egui::FontId::proportional(13.0);
    for z in &city.zones {
        let (x, y) = view.to_screen(z.seat);
        painter.text(
            egui::pos2(x, y - 12.0),
            Align2::CENTER_BOTTOM,
            l.both(&z.name, &z.name_zh),
            font.clone(),
            Color32::from_rgb(0x44, 0x44, 0x44),
        );
    }
    let ring = |xy: Xy| {
        let (x, y) = view.to_screen(xy);
        painter.circle_stroke(egui::pos2(x, y), 12.0, egui::Stroke::new(2.5, Color32::BLACK));
    };
    match view.selection {
        Some(Pick::Depot(k)) => ring(host.drill.spec().depots[k].xy),
        Some(Pick::Place(k)) => ring(city.places[k].xy),
        Some(Pick::Point(xy)) => ring(xy),
        Some(Pick::Segment(s)) => {
            let seg = &city.segments[s as usize];
            let (a, b) = (
                view.to_screen(city.node_xy[seg.a as usize]),
                view.to_screen(city.node_xy[seg.b as usize]),
            );
            painter.line_segment(
                [egui::pos2(a.0, a.1), egui::pos2(b.0, b.1)],
                egui::Stroke::new(6.0, Color32::from_rgba_unmultiplied(0, 0, 0, 120)),
            );
        }
        _ => {}
    }
    // Legend.
    let mut y = rect.max.y - 8.0;
    let x = rect.min.x + 10.0;
    let small = egui::FontId::proportional(11.0);
    let rows: Vec<(Color32, &str)> = vec![
        (col(colours::STATUS[3]), l.pick("group: overdue", "受灾点：已超时")),
        (
            col(colours::STATUS[2]),
            l.pick("group: basic relief", "受灾点：基本生活救助"),
        ),
        (
            col(colours::STATUS[1]),
            l.pick("group: initial relief", "受灾点：初步救助"),
        ),
        (col(colours::STATUS[0]), l.pick("group: waiting", "受灾点：等待")),
        (col(colours::ACTIVITY[3]), l.pick("unit: working", "队伍：作业")),
        (col(colours::ACTIVITY[2]), l.pick("unit: travelling", "队伍：在途")),
        (
            col(colours::tier("government")),
            l.pick("depot (government)", "政府储备库"),
        ),
        (col(colours::SHELTER), l.pick("shelter", "避难场所")),
    ];
    for (c, text) in rows {
        painter.circle_filled(egui::pos2(x + 5.0, y - 6.0), 5.0, c);
        painter.text(
            egui::pos2(x + 14.0, y),
            Align2::LEFT_BOTTOM,
            text,
            small.clone(),
            Color32::from_rgb(0x33, 0x33, 0x33),
        );
        y -= 15.0;
    }
}

/// The inject due now (deliver / delay / skip) and the last one delivered
/// (for the facilitator to read out).
fn banners(ctx: &egui::Context, host: &mut Session, l: Lang) {
    if let Some((t, id, text)) = host.due.clone() {
        egui::Window::new(l.pick("Inject due", "注入到时"))
            .anchor(Align2::CENTER_TOP, [0.0, 60.0])
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.label(RichText::new(format!("{} · {id}", hm(t.secs()))).monospace());
                ui.label(RichText::new(&text).size(18.0).strong());
                ui.horizontal(|ui| {
                    if ui.button(l.pick("Deliver", "下达")).clicked() {
                        host.deliver_due();
                    }
                    if ui.button(l.pick("Delay 30 min", "推迟30分钟")).clicked() {
                        host.due = None;
                        let until = host.drill.now().plus(SimDuration(1800));
                        host.command(Command::Delay(id.clone(), format!("{}s", until.secs())));
                        host.paused = false;
                    }
                    if ui.button(l.pick("Skip", "跳过")).clicked() {
                        host.due = None;
                        host.command(Command::Skip(id.clone()));
                        host.paused = false;
                    }
                });
            });
    } else if host.banner_seen < host.announced.len() {
        let (t, id, text) = host.announced[host.announced.len() - 1].clone();
        egui::Window::new(l.pick("Inject delivered: read it out", "注入已下达：请宣读"))
            .anchor(Align2::CENTER_TOP, [0.0, 60.0])
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.label(RichText::new(format!("{} · {id}", hm(t.secs()))).monospace());
                ui.label(RichText::new(&text).size(18.0).strong());
                if ui.button(l.pick("OK", "知道了")).clicked() {
                    host.banner_seen = host.announced.len();
                }
            });
    }
}
