//! The map: roads, waterways, places, hazard overlays, affected groups and
//! units, drawn with Bevy 2D meshes and sprites in local metres (x east, y
//! north), under an orthographic camera.
//!
//! Geometry is built once and changed only when what it shows changes: the
//! road mesh when the zoom changes by more than a third (road widths are kept
//! in screen pixels), the road-state mesh when the road state's version moves,
//! overlays (flood depth, fire, AEGL threat zones) as textures rewritten when
//! the simulation steps, markers as entities whose transform or material
//! changes. A paused drill redraws nothing.

use std::collections::BTreeMap;
use std::time::Instant;

use bevy::asset::RenderAssetUsages;
use bevy::core_pipeline::tonemapping::DebandDither;
use bevy::image::ImageSampler;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::window::PrimaryWindow;

use super::FrameStats;
use crate::city::routing::{EdgeState, RoadState};
use crate::city::{CityMap, PlaceKind, RoadClass, Xy};
use crate::drill::session::Session;
use crate::drill::view::{self, Activity, ReliefStatus, UnitKind, UnitRef};
use crate::hazard::grid::Grid;
use crate::scenario::TeamKind;

/// The map camera.
#[derive(Component)]
pub struct MapCamera;

/// A marker drawn at a constant size on screen (`px` logical pixels).
#[derive(Component)]
pub struct Marker {
    px: f32,
}

/// What the cursor and the panels share about the map view.
#[derive(Resource, Debug, Clone)]
pub struct View {
    /// The map's part of the window, logical px: (min x, min y, max x, max y).
    pub rect: [f32; 4],
    /// Camera centre, local metres.
    pub centre: Vec2,
    /// Metres per logical pixel.
    pub scale: f32,
    /// Set once the camera has been fitted to the map's part of the window.
    pub fitted: bool,
    /// What is selected.
    pub selection: Option<Pick>,
    /// What a click on the map does.
    pub tool: Tool,
    /// Layers shown.
    pub show_groups: bool,
    /// Units shown.
    pub show_units: bool,
    /// Hazard overlays shown.
    pub show_hazards: bool,
}

impl Default for View {
    fn default() -> Self {
        View {
            rect: [0.0, 0.0, 1600.0, 900.0],
            centre: Vec2::ZERO,
            scale: 50.0,
            fitted: false,
            selection: None,
            tool: Tool::Inspect,
            show_groups: true,
            show_units: true,
            show_hazards: true,
        }
    }
}

impl View {
    /// Screen position (logical px) of a map point.
    pub fn to_screen(&self, p: Xy) -> (f32, f32) {
        let cx = (self.rect[0] + self.rect[2]) / 2.0;
        let cy = (self.rect[1] + self.rect[3]) / 2.0;
        (
            cx + (p.x as f32 - self.centre.x) / self.scale,
            cy - (p.y as f32 - self.centre.y) / self.scale,
        )
    }

    /// Map point under a screen position.
    pub fn to_map(&self, x: f32, y: f32) -> Xy {
        let cx = (self.rect[0] + self.rect[2]) / 2.0;
        let cy = (self.rect[1] + self.rect[3]) / 2.0;
        Xy {
            x: f64::from(self.centre.x + (x - cx) * self.scale),
            y: f64::from(self.centre.y - (y - cy) * self.scale),
        }
    }

    fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.rect[0] && x <= self.rect[2] && y >= self.rect[1] && y <= self.rect[3]
    }
}

/// Something on the map a click can find.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pick {
    /// A unit.
    Unit(UnitRef),
    /// An affected group by id.
    Group(u32),
    /// A place by index.
    Place(usize),
    /// A depot by index.
    Depot(usize),
    /// A road segment.
    Segment(u32),
    /// A point with no feature (for the inject tools).
    Point(Xy),
}

/// What a click on the map does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Select and inspect.
    Inspect,
    /// Close the clicked road (an improvised inject).
    CloseRoad,
    /// Damage the clicked road (closed until a repair team has been).
    DamageRoad,
    /// Reopen the clicked road.
    OpenRoad,
    /// Start a fire at the click.
    Fire,
    /// Open a levee breach at the click.
    Breach,
    /// Send this truck (by number) to the group clicked (a player's command).
    AssignTruck(u32),
}

/// A clicked map point waiting to become an improvised inject (the panels
/// turn it into a command, so that all commands go through one place).
#[derive(Resource, Default, Debug)]
pub struct ToolClick(pub Option<(Tool, Pick)>);

/// Where named features are drawn and in what colour (checked in screenshot mode).
#[derive(Resource, Default, Clone, Debug)]
pub struct Probe {
    /// Window width, logical px.
    pub window_w: f32,
    /// (name, x, y logical px, sRGB colour).
    pub points: Vec<(String, f32, f32, [u8; 3])>,
}

/// Handles and entities the map keeps.
#[derive(Resource)]
pub struct MapAssets {
    circle: Handle<Mesh>,
    square: Handle<Mesh>,
    diamond: Handle<Mesh>,
    triangle: Handle<Mesh>,
    activity: BTreeMap<Activity, Handle<ColorMaterial>>,
    status: BTreeMap<ReliefStatus, Handle<ColorMaterial>>,
    plain: Handle<ColorMaterial>,
    roads: Handle<Mesh>,
    roads_scale: f32,
    road_state: Handle<Mesh>,
    road_state_version: Option<(u64, u64)>,
    overlays: Vec<(Entity, Handle<Image>)>,
    units: BTreeMap<UnitRef, Entity>,
    groups: BTreeMap<u32, (Entity, ReliefStatus, u32)>,
    generation: u64,
}

/// Colours of the map (sRGB bytes).
pub mod colours {
    /// Depots by "1+4" tier.
    pub fn tier(tier: &str) -> [u8; 3] {
        match tier {
            "government" => [0x2c, 0x7b, 0xb6],
            "enterprise" => [0x7b, 0x32, 0x94],
            "commercial" => [0x00, 0x88, 0x37],
            _ => [0x4d, 0x4d, 0x4d],
        }
    }
    /// Unit activities.
    pub const ACTIVITY: [[u8; 3]; 6] = [
        [0x1a, 0x98, 0x50], // idle
        [0xfe, 0xe0, 0x8b], // mobilising
        [0x31, 0x36, 0x95], // travelling
        [0xd7, 0x30, 0x27], // working
        [0x74, 0xad, 0xd1], // returning
        [0x99, 0x99, 0x99], // resting
    ];
    /// Group relief status: waiting, initial, basic, overdue.
    pub const STATUS: [[u8; 3]; 4] = [
        [0x96, 0x96, 0x96],
        [0xfd, 0xae, 0x61],
        [0x1a, 0x96, 0x41],
        [0xd7, 0x19, 0x1c],
    ];
    /// Flood depth classes (lower bound m, colour), as in the report.
    pub const DEPTH: [(f32, [u8; 3]); 4] = [
        (0.05, [0xc6, 0xdb, 0xef]),
        (0.3, [0x6b, 0xae, 0xd6]),
        (1.0, [0x21, 0x71, 0xb5]),
        (2.0, [0x08, 0x30, 0x6b]),
    ];
    /// Fire: burning, burnt out, put out.
    pub const FIRE: [[u8; 3]; 3] = [[0xff, 0x3b, 0x00], [0x3d, 0x2b, 0x1f], [0x8c, 0x96, 0xa0]];
    /// AEGL-1/2/3.
    pub const AEGL: [[u8; 3]; 3] = [[0xfe, 0xe0, 0x8b], [0xfc, 0x8d, 0x59], [0xd7, 0x30, 0x27]];
    /// Places.
    pub const SHELTER: [u8; 3] = [0x6a, 0x51, 0xa3];
    /// Hospitals.
    pub const HOSPITAL: [u8; 3] = [0xe7, 0x29, 0x8a];
    /// Fire stations.
    pub const FIRE_STATION: [u8; 3] = [0xb2, 0x18, 0x2b];
    /// Chemical plants.
    pub const PLANT: [u8; 3] = [0xff, 0x7f, 0x00];
}

fn srgb(c: [u8; 3]) -> Color {
    Color::srgb_u8(c[0], c[1], c[2])
}

fn linear(c: [u8; 3], alpha: f32) -> [f32; 4] {
    let l = srgb(c).to_linear();
    [l.red, l.green, l.blue, alpha]
}

/// Road colour and width (px) by class.
fn road_style(class: RoadClass) -> ([u8; 3], f32) {
    match class {
        RoadClass::Expressway | RoadClass::National => ([0xd9, 0x5f, 0x0e], 3.0),
        RoadClass::Provincial => ([0xe6, 0x85, 0x3a], 2.4),
        RoadClass::County | RoadClass::UrbanArterial => ([0x8c, 0x8c, 0x84], 1.8),
        RoadClass::UrbanBranch => ([0xb0, 0xb0, 0xa8], 1.1),
        RoadClass::Village => ([0xc8, 0xc8, 0xc0], 1.0),
    }
}

/// Quads along line pieces, `width` metres wide, one colour each.
fn line_mesh(lines: &[(Xy, Xy, [f32; 4], f32)]) -> Mesh {
    let mut pos = Vec::with_capacity(lines.len() * 4);
    let mut col = Vec::with_capacity(lines.len() * 4);
    let mut idx = Vec::with_capacity(lines.len() * 6);
    for &(a, b, c, w) in lines {
        let (dx, dy) = ((b.x - a.x) as f32, (b.y - a.y) as f32);
        let len = (dx * dx + dy * dy).sqrt().max(1e-3);
        let (nx, ny) = (-dy / len * w / 2.0, dx / len * w / 2.0);
        let k = pos.len() as u32;
        for (x, y) in [(a.x as f32, a.y as f32), (b.x as f32, b.y as f32)] {
            pos.push([x + nx, y + ny, 0.0]);
            pos.push([x - nx, y - ny, 0.0]);
            col.push(c);
            col.push(c);
        }
        idx.extend_from_slice(&[k, k + 1, k + 2, k + 1, k + 3, k + 2]);
    }
    if pos.is_empty() {
        // One degenerate triangle: the renderer keeps a mesh with no vertices
        // apart, and a later change of it goes astray.
        pos.extend([[0.0, 0.0, 0.0]; 3]);
        col.extend([[0.0; 4]; 3]);
        idx.extend([0, 1, 2]);
    }
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::default())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, pos)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, col)
        .with_inserted_indices(Indices::U32(idx))
}

/// The road network and waterways at a zoom (`scale` m per px).
fn roads_mesh(city: &CityMap, scale: f32) -> Mesh {
    let mut lines = Vec::with_capacity(city.segments.len() + 64);
    for (_, _, line) in &city.waterways {
        for w in line.windows(2) {
            lines.push((w[0], w[1], linear([0x74, 0xad, 0xd1], 1.0), 3.5 * scale));
        }
    }
    // Minor roads first, so the trunk roads are drawn over them.
    let mut segs: Vec<_> = city.segments.iter().collect();
    segs.sort_by_key(|s| std::cmp::Reverse(road_style(s.class).1.to_bits()));
    segs.reverse();
    for s in segs {
        let (c, w) = road_style(s.class);
        lines.push((
            city.node_xy[s.a as usize],
            city.node_xy[s.b as usize],
            linear(c, 1.0),
            w * scale,
        ));
    }
    line_mesh(&lines)
}

/// Segments whose state differs from open and dry, coloured by what is wrong.
fn road_state_mesh(city: &CityMap, roads: &RoadState, scale: f32) -> Mesh {
    let mut lines = Vec::new();
    for (k, s) in city.segments.iter().enumerate() {
        let id = k as u32;
        let colour = if roads.damaged(id) {
            Some([0x8c, 0x51, 0x0a])
        } else if roads.hazard_closed(id) {
            Some([0xd7, 0x30, 0x27])
        } else if roads.get(id) == EdgeState::Closed {
            Some([0x10, 0x10, 0x10])
        } else if roads.depth(id) >= 0.3 {
            Some([0x08, 0x51, 0x9c])
        } else if matches!(roads.get(id), EdgeState::Slowed(_)) {
            Some([0xfe, 0x99, 0x29])
        } else {
            None
        };
        if let Some(c) = colour {
            lines.push((
                city.node_xy[s.a as usize],
                city.node_xy[s.b as usize],
                linear(c, 1.0),
                3.5 * scale,
            ));
        }
    }
    line_mesh(&lines)
}

/// A unit-size shape: circle, square, diamond or triangle (radius 0.5).
fn shape(n: usize, rotate: f32) -> Mesh {
    let mut pos = vec![[0.0, 0.0, 0.0]];
    for k in 0..=n {
        let a = rotate + k as f32 * std::f32::consts::TAU / n as f32;
        pos.push([0.5 * a.cos(), 0.5 * a.sin(), 0.0]);
    }
    let idx: Vec<u32> = (1..=n as u32).flat_map(|k| [0, k, k + 1]).collect();
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::default())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, pos)
        .with_inserted_indices(Indices::U32(idx))
}

fn overlay_image(nx: usize, ny: usize) -> Image {
    let mut img = Image::new_fill(
        Extent3d {
            width: nx as u32,
            height: ny as u32,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        &[0, 0, 0, 0],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    );
    img.sampler = ImageSampler::nearest();
    img
}

/// Write a grid into an RGBA image (north up), colouring by `colour`.
fn paint<T: Copy>(img: &mut Image, grid: &Grid<T>, alpha: u8, colour: impl Fn(T) -> Option<[u8; 3]>) {
    let Some(data) = img.data.as_mut() else { return };
    for j in 0..grid.ny {
        let row = grid.ny - 1 - j;
        for i in 0..grid.nx {
            let o = (row * grid.nx + i) * 4;
            let px = match colour(grid.data[grid.idx(i, j)]) {
                Some(c) => [c[0], c[1], c[2], alpha],
                None => [0, 0, 0, 0],
            };
            data[o..o + 4].copy_from_slice(&px);
        }
    }
}

fn overlay_sprite<T>(grid: &Grid<T>, image: Handle<Image>, z: f32) -> (Sprite, Transform) {
    let (w, h) = ((grid.nx as f64 * grid.dx) as f32, (grid.ny as f64 * grid.dx) as f32);
    (
        Sprite {
            image,
            custom_size: Some(Vec2::new(w, h)),
            ..default()
        },
        Transform::from_xyz(grid.x0 as f32 + w / 2.0, grid.y0 as f32 + h / 2.0, z),
    )
}

/// Build the static map and the camera.
pub fn setup(
    mut commands: Commands,
    host: NonSend<Session>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    let city = host.drill.spec().city.clone();
    let (lo, hi) = city.bounds;
    let centre = Vec2::new(((lo.x + hi.x) / 2.0) as f32, ((lo.y + hi.y) / 2.0) as f32);
    let scale = (((hi.x - lo.x) / 1000.0).max((hi.y - lo.y) / 700.0) * 1.05) as f32;
    commands.spawn((
        Camera2d,
        MapCamera,
        DebandDither::Disabled,
        Projection::Orthographic(OrthographicProjection {
            scale,
            ..OrthographicProjection::default_2d()
        }),
        Transform::from_xyz(centre.x, centre.y, 100.0),
    ));
    // egui gets a camera of its own over the whole window: on the map camera
    // it would take the map's viewport for the screen.
    commands.spawn((
        bevy_egui::PrimaryEguiContext,
        Camera2d,
        bevy::camera::visibility::RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: bevy::camera::CameraOutputMode::Write {
                blend_state: Some(bevy::render::render_resource::BlendState::ALPHA_BLENDING),
                clear_color: ClearColorConfig::None,
            },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    ));
    commands.insert_resource(View {
        centre,
        scale,
        ..default()
    });
    let vertex_colours = materials.add(ColorMaterial::default());
    let roads = meshes.add(roads_mesh(&city, scale));
    commands.spawn((
        Mesh2d(roads.clone()),
        MeshMaterial2d(vertex_colours.clone()),
        Transform::from_xyz(0.0, 0.0, 0.0),
    ));
    let road_state = meshes.add(line_mesh(&[]));
    commands.spawn((
        Mesh2d(road_state.clone()),
        MeshMaterial2d(vertex_colours.clone()),
        Transform::from_xyz(0.0, 0.0, 2.0),
    ));
    let circle = meshes.add(shape(20, 0.0));
    let square = meshes.add(shape(4, std::f32::consts::FRAC_PI_4));
    let diamond = meshes.add(shape(4, 0.0));
    let triangle = meshes.add(shape(3, std::f32::consts::FRAC_PI_2));
    let mut flat = |c: [u8; 3]| materials.add(ColorMaterial::from_color(srgb(c)));
    let activity = Activity::ALL
        .iter()
        .zip(colours::ACTIVITY)
        .map(|(&a, c)| (a, flat(c)))
        .collect();
    let status = [
        ReliefStatus::Waiting,
        ReliefStatus::Initial,
        ReliefStatus::Basic,
        ReliefStatus::Overdue,
    ]
    .into_iter()
    .zip(colours::STATUS)
    .map(|(s, c)| (s, flat(c)))
    .collect();
    let plain = flat([0xff, 0xff, 0xff]);
    // Places, then depots over them.
    for p in &city.places {
        let (mesh, c, px) = match p.kind {
            PlaceKind::Shelter => (triangle.clone(), colours::SHELTER, 9.0),
            PlaceKind::Hospital => (square.clone(), colours::HOSPITAL, 8.0),
            PlaceKind::FireStation => (circle.clone(), colours::FIRE_STATION, 7.0),
            PlaceKind::ChemicalPlant => (diamond.clone(), colours::PLANT, 10.0),
            _ => continue,
        };
        commands.spawn((
            Mesh2d(mesh),
            MeshMaterial2d(flat(c)),
            Marker { px },
            Transform::from_xyz(p.xy.x as f32, p.xy.y as f32, 3.0).with_scale(Vec3::splat(px * scale)),
        ));
    }
    for d in &host.drill.spec().depots {
        let px = if d.tier.label() == "community" { 8.0 } else { 13.0 };
        // A white rim, then the tier colour.
        commands.spawn((
            Mesh2d(square.clone()),
            MeshMaterial2d(plain.clone()),
            Marker { px: px + 4.0 },
            Transform::from_xyz(d.xy.x as f32, d.xy.y as f32, 4.6).with_scale(Vec3::splat((px + 4.0) * scale)),
        ));
        commands.spawn((
            Mesh2d(square.clone()),
            MeshMaterial2d(flat(colours::tier(d.tier.label()))),
            Marker { px },
            Transform::from_xyz(d.xy.x as f32, d.xy.y as f32, 4.7).with_scale(Vec3::splat(px * scale)),
        ));
    }
    commands.insert_resource(MapAssets {
        circle,
        square,
        diamond,
        triangle,
        activity,
        status,
        plain,
        roads,
        roads_scale: scale,
        road_state,
        road_state_version: None,
        overlays: Vec::new(),
        units: BTreeMap::new(),
        groups: BTreeMap::new(),
        generation: host.generation,
    });
    commands.init_resource::<ToolClick>();
    commands.init_resource::<Probe>();
}

/// Pan (drag with the left or middle button, arrow keys) and zoom (wheel,
/// +/-) the map; keep the camera's viewport on the map's part of the window.
pub fn camera(
    mut view: ResMut<View>,
    mut cam: Query<(&mut Camera, &mut Transform, &mut Projection), With<MapCamera>>,
    window: Query<&Window, With<PrimaryWindow>>,
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    host: NonSend<Session>,
    mut egui: bevy_egui::EguiContexts,
    mut stats: ResMut<FrameStats>,
) {
    let started = Instant::now();
    let Ok(window) = window.single() else { return };
    let Ok((mut camera, mut tf, mut proj)) = cam.single_mut() else {
        return;
    };
    let cursor = window.cursor_position();
    let over_map = cursor.is_some_and(|c| view.contains(c.x, c.y) && !egui_over(&mut egui, c));
    if !view.fitted && view.rect[2] - view.rect[0] > 100.0 {
        let (lo, hi) = host.drill.spec().city.bounds;
        let (w, h) = (view.rect[2] - view.rect[0], view.rect[3] - view.rect[1]);
        view.scale = (((hi.x - lo.x) as f32 / w).max((hi.y - lo.y) as f32 / h)) * 1.04;
        view.centre = Vec2::new(((lo.x + hi.x) / 2.0) as f32, ((lo.y + hi.y) / 2.0) as f32);
        view.fitted = true;
    }
    if over_map {
        if buttons.pressed(MouseButton::Left) || buttons.pressed(MouseButton::Middle) {
            let d = motion.delta * view.scale;
            view.centre += Vec2::new(-d.x, d.y);
        }
        let lines = match scroll.unit {
            MouseScrollUnit::Line => scroll.delta.y,
            MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
        };
        if lines != 0.0
            && let Some(c) = cursor
        {
            // Zoom about the cursor: the point under it stays put.
            let before = view.to_map(c.x, c.y);
            view.scale = (view.scale * 0.85f32.powf(lines)).clamp(0.5, 500.0);
            let after = view.to_map(c.x, c.y);
            view.centre += Vec2::new((before.x - after.x) as f32, (before.y - after.y) as f32);
        }
    }
    if !egui.ctx_mut().is_ok_and(|c| c.egui_wants_keyboard_input()) {
        let step = 40.0 * view.scale;
        for (k, d) in [
            (KeyCode::ArrowLeft, Vec2::new(-step, 0.0)),
            (KeyCode::ArrowRight, Vec2::new(step, 0.0)),
            (KeyCode::ArrowUp, Vec2::new(0.0, step)),
            (KeyCode::ArrowDown, Vec2::new(0.0, -step)),
        ] {
            if keys.just_pressed(k) {
                view.centre += d;
            }
        }
        if keys.just_pressed(KeyCode::Equal) || keys.just_pressed(KeyCode::NumpadAdd) {
            view.scale = (view.scale / 1.25).max(0.5);
        }
        if keys.just_pressed(KeyCode::Minus) || keys.just_pressed(KeyCode::NumpadSubtract) {
            view.scale = (view.scale * 1.25).min(500.0);
        }
    }
    tf.translation.x = view.centre.x;
    tf.translation.y = view.centre.y;
    if let Projection::Orthographic(o) = &mut *proj
        && o.scale != view.scale
    {
        o.scale = view.scale;
    }
    let sf = window.scale_factor();
    let [x0, y0, x1, y1] = view.rect;
    let pos = UVec2::new((x0 * sf).max(0.0) as u32, (y0 * sf).max(0.0) as u32);
    let size = UVec2::new(((x1 - x0) * sf).max(1.0) as u32, ((y1 - y0) * sf).max(1.0) as u32).min(
        UVec2::new(window.physical_width(), window.physical_height())
            .saturating_sub(pos)
            .max(UVec2::ONE),
    );
    let vp = bevy::camera::Viewport {
        physical_position: pos,
        physical_size: size,
        ..default()
    };
    if camera
        .viewport
        .as_ref()
        .is_none_or(|v| v.physical_position != pos || v.physical_size != size)
    {
        camera.viewport = Some(vp);
    }
    super::add_ui_time(&mut stats, started);
}

/// A click on the map: select what is under it, or hand the point to the
/// current inject tool.
pub fn pick(
    mut view: ResMut<View>,
    window: Query<&Window, With<PrimaryWindow>>,
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    mut pressed_at: Local<Option<Vec2>>,
    host: NonSend<Session>,
    mut marks: Local<Vec<(Pick, Xy)>>,
    mut marks_tick: Local<Option<(u64, u64)>>,
    mut click: ResMut<ToolClick>,
    mut egui: bevy_egui::EguiContexts,
    mut stats: ResMut<FrameStats>,
) {
    let started = Instant::now();
    let _ = motion;
    let Ok(window) = window.single() else { return };
    let Some(c) = window.cursor_position() else { return };
    if buttons.just_pressed(MouseButton::Left) {
        *pressed_at = Some(c);
    }
    if !buttons.just_released(MouseButton::Left) {
        return;
    }
    // A drag pans; only a click (moved less than 4 px) picks.
    let Some(p0) = pressed_at.take() else { return };
    if p0.distance(c) > 4.0 || !view.contains(c.x, c.y) || egui_over(&mut egui, c) {
        return;
    }
    let at = view.to_map(c.x, c.y);
    let city = host.drill.spec().city.clone();
    let radius_m = f64::from(10.0 * view.scale);
    let nearest_segment = || {
        city.segments
            .iter()
            .enumerate()
            .map(|(k, s)| {
                (
                    k as u32,
                    seg_dist(at, city.node_xy[s.a as usize], city.node_xy[s.b as usize]),
                )
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|(_, d)| *d <= radius_m)
            .map(|(k, _)| Pick::Segment(k))
    };
    let picked = match view.tool {
        Tool::CloseRoad | Tool::DamageRoad | Tool::OpenRoad => nearest_segment(),
        Tool::Fire | Tool::Breach => Some(Pick::Point(at)),
        Tool::AssignTruck(_) => view::groups(host.drill.world())
            .into_iter()
            .map(|g| (g.id, city.node_xy[g.node as usize]))
            .map(|(id, xy)| (id, ((xy.x - at.x).powi(2) + (xy.y - at.y).powi(2)).sqrt()))
            .filter(|(_, d)| *d <= radius_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| Pick::Group(id)),
        Tool::Inspect => {
            let key = (host.tick(), host.generation);
            if *marks_tick != Some(key) {
                *marks_tick = Some(key);
                marks.clear();
                for (k, d) in host.drill.spec().depots.iter().enumerate() {
                    marks.push((Pick::Depot(k), d.xy));
                }
                for (k, p) in city.places.iter().enumerate() {
                    marks.push((Pick::Place(k), p.xy));
                }
                for g in view::groups(host.drill.world()) {
                    marks.push((Pick::Group(g.id), city.node_xy[g.node as usize]));
                }
            }
            // Units move: take their positions now.
            let mut trails = host.trails.clone();
            let units = view::units(host.drill.world(), &mut trails);
            units
                .iter()
                .map(|u| (Pick::Unit(u.unit), u.xy))
                .chain(marks.iter().copied())
                .map(|(p, xy)| (p, ((xy.x - at.x).powi(2) + (xy.y - at.y).powi(2)).sqrt()))
                .filter(|(_, d)| *d <= radius_m)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(p, _)| p)
                .or_else(nearest_segment)
        }
    };
    if view.tool == Tool::Inspect {
        view.selection = picked;
    } else if let Some(p) = picked {
        click.0 = Some((view.tool, p));
        view.selection = Some(p);
    }
    super::add_ui_time(&mut stats, started);
}

/// Whether egui has the pointer at `c`: a window or popup over the map, or a
/// widget being dragged. (The panels sit on egui's background layer, which
/// also spans the map, so hovering that layer does not count.)
fn egui_over(egui: &mut bevy_egui::EguiContexts, c: Vec2) -> bool {
    egui.ctx_mut().is_ok_and(|ctx| {
        ctx.egui_is_using_pointer()
            || ctx
                .layer_id_at(bevy_egui::egui::pos2(c.x, c.y))
                .is_some_and(|l| l.order != bevy_egui::egui::Order::Background)
    })
}

/// Distance from a point to a line piece, m.
fn seg_dist(p: Xy, a: Xy, b: Xy) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((a.x + t * dx - p.x).powi(2) + (a.y + t * dy - p.y).powi(2)).sqrt()
}

/// Bring the map up to date with the simulation (only when it moved).
#[allow(clippy::too_many_arguments)]
pub fn sync(
    mut commands: Commands,
    mut host: NonSendMut<Session>,
    mut assets: ResMut<MapAssets>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut images: ResMut<Assets<Image>>,
    view: Res<View>,
    mut markers: Query<(
        &mut Transform,
        &mut MeshMaterial2d<ColorMaterial>,
        &mut Visibility,
        &mut Marker,
    )>,
    mut overlay_vis: Query<&mut Visibility, Without<Marker>>,
    mut stats: ResMut<FrameStats>,
) {
    let started = Instant::now();
    let assets = &mut *assets;
    let city = host.drill.spec().city.clone();
    // Road widths follow the zoom, within a third.
    let ratio = view.scale / assets.roads_scale;
    if !(0.75..=1.33).contains(&ratio) {
        assets.roads_scale = view.scale;
        if let Some(mut m) = meshes.get_mut(&assets.roads) {
            *m = roads_mesh(&city, view.scale);
        }
        assets.road_state_version = None;
    }
    if assets.generation != host.generation {
        // The drill was rebuilt (snapshot, review seek): start the markers afresh.
        for (_, e) in std::mem::take(&mut assets.units) {
            commands.entity(e).despawn();
        }
        for (_, (e, ..)) in std::mem::take(&mut assets.groups) {
            commands.entity(e).despawn();
        }
        assets.generation = host.generation;
        host.drawn_tick = None;
    }
    let tick = host.tick();
    if host.drawn_tick == Some(tick) {
        super::add_ui_time(&mut stats, started);
        return;
    }
    host.drawn_tick = Some(tick);
    let host = &mut *host;
    let world = host.drill.world();
    // Road states.
    let roads = world.resource::<RoadState>();
    let key = (roads.version(), roads.depth_changes());
    if assets.road_state_version != Some(key) {
        assets.road_state_version = Some(key);
        if let Some(mut m) = meshes.get_mut(&assets.road_state) {
            *m = road_state_mesh(&city, roads, assets.roads_scale);
        }
    }
    // Hazard overlays: flood depth now, fire states, AEGL threat zones.
    let mut grids: Vec<(Grid<u8>, [[u8; 3]; 4], u8)> = Vec::new();
    if let Some(h) = world.get_resource::<crate::hazard::sim::HazardWorld>()
        && let Some(d) = h.flood_depth()
    {
        let classes = d
            .data
            .iter()
            .map(|&v| {
                colours::DEPTH
                    .iter()
                    .rposition(|(lo, _)| v as f32 >= *lo)
                    .map_or(0, |k| k as u8 + 1)
            })
            .collect();
        grids.push((
            Grid {
                nx: d.nx,
                ny: d.ny,
                dx: d.dx,
                x0: d.x0,
                y0: d.y0,
                data: classes,
            },
            colours::DEPTH.map(|c| c.1),
            170,
        ));
    }
    if let Some(f) = crate::hazard::sim::fire_states(world) {
        let c = colours::FIRE;
        grids.push((f, [c[0], c[1], c[2], c[2]], 210));
    }
    for t in crate::hazard::sim::threat_zones(world) {
        let c = colours::AEGL;
        grids.push((t, [c[0], c[1], c[2], c[2]], 110));
    }
    for (k, (grid, palette, alpha)) in grids.iter().enumerate() {
        if assets.overlays.len() <= k {
            let handle = images.add(overlay_image(grid.nx, grid.ny));
            let (sprite, tf) = overlay_sprite(grid, handle.clone(), 1.0 + k as f32 * 0.1);
            let e = commands.spawn((sprite, tf)).id();
            assets.overlays.push((e, handle));
        }
        let (e, handle) = &assets.overlays[k];
        if let Some(mut img) = images.get_mut(handle)
            && img.width() as usize == grid.nx
            && img.height() as usize == grid.ny
        {
            paint(&mut img, grid, *alpha, |v| (v > 0).then(|| palette[usize::from(v) - 1]));
        }
        if let Ok(mut vis) = overlay_vis.get_mut(*e) {
            vis.set_if_neq(if view.show_hazards {
                Visibility::Inherited
            } else {
                Visibility::Hidden
            });
        }
    }
    // Affected groups.
    let shown = |on: bool| if on { Visibility::Inherited } else { Visibility::Hidden };
    for g in view::groups(world) {
        let xy = city.node_xy[g.node as usize];
        let px = (f64::from(g.people).sqrt() * 0.8).clamp(5.0, 22.0) as f32;
        match assets.groups.get_mut(&g.id) {
            None => {
                let e = commands
                    .spawn((
                        Mesh2d(assets.circle.clone()),
                        MeshMaterial2d(assets.status[&g.status].clone()),
                        Marker { px },
                        Transform::from_xyz(xy.x as f32, xy.y as f32, 4.0 + (g.id % 100) as f32 * 1e-4)
                            .with_scale(Vec3::splat(px * view.scale)),
                        shown(view.show_groups),
                    ))
                    .id();
                assets.groups.insert(g.id, (e, g.status, g.node));
            }
            Some((e, status, node)) => {
                if let Ok((mut tf, mut mat, mut vis, mut marker)) = markers.get_mut(*e) {
                    if *status != g.status {
                        *status = g.status;
                        mat.0 = assets.status[&g.status].clone();
                    }
                    if *node != g.node {
                        *node = g.node;
                        tf.translation.x = xy.x as f32;
                        tf.translation.y = xy.y as f32;
                    }
                    if marker.px != px {
                        marker.px = px;
                        tf.scale = Vec3::splat(px * view.scale);
                    }
                    vis.set_if_neq(shown(view.show_groups));
                }
            }
        }
    }
    // Units.
    let units = view::units(world, &mut host.trails);
    let mut seen = std::collections::BTreeSet::new();
    for u in &units {
        seen.insert(u.unit);
        let (mesh, px) = match u.kind {
            UnitKind::Truck => (assets.square.clone(), 7.0),
            UnitKind::Team(TeamKind::Boat) => (assets.triangle.clone(), 10.0),
            UnitKind::Team(_) => (assets.diamond.clone(), 10.0),
        };
        let material = assets.activity[&u.activity].clone();
        match assets.units.get(&u.unit) {
            None => {
                let e = commands
                    .spawn((
                        Mesh2d(mesh),
                        MeshMaterial2d(material),
                        Marker { px },
                        Transform::from_xyz(u.xy.x as f32, u.xy.y as f32, unit_z(u.activity))
                            .with_scale(Vec3::splat(px * view.scale)),
                        shown(view.show_units),
                    ))
                    .id();
                assets.units.insert(u.unit, e);
            }
            Some(&e) => {
                if let Ok((mut tf, mut mat, mut vis, _)) = markers.get_mut(e) {
                    tf.translation = Vec3::new(u.xy.x as f32, u.xy.y as f32, unit_z(u.activity));
                    if mat.0 != material {
                        mat.0 = material;
                    }
                    vis.set_if_neq(shown(view.show_units));
                }
            }
        }
    }
    assets.units.retain(|k, e| {
        let keep = seen.contains(k);
        if !keep {
            commands.entity(*e).despawn();
        }
        keep
    });
    let _ = &assets.plain;
    super::add_ui_time(&mut stats, started);
}

/// Idle units wait at their base, under its marker; the others are on top.
fn unit_z(a: Activity) -> f32 {
    if a == Activity::Idle { 2.6 } else { 5.0 }
}

/// Keep markers at their size on screen when the zoom changes.
pub fn scale_markers(
    view: Res<View>,
    mut last: Local<f32>,
    mut markers: Query<(&mut Transform, &Marker)>,
    window: Query<&Window, With<PrimaryWindow>>,
    host: NonSend<Session>,
    mut probe: ResMut<Probe>,
    mut stats: ResMut<FrameStats>,
) {
    let started = Instant::now();
    if *last != view.scale {
        *last = view.scale;
        for (mut tf, m) in &mut markers {
            tf.scale = Vec3::splat(m.px * view.scale);
        }
    }
    // Where the depots are on screen, for the screenshot check.
    if let Ok(w) = window.single() {
        probe.window_w = w.width();
        probe.points = host
            .drill
            .spec()
            .depots
            .iter()
            .map(|d| {
                let (x, y) = view.to_screen(d.xy);
                (d.name.clone(), x, y, colours::tier(d.tier.label()))
            })
            .filter(|(_, x, y, _)| view.contains(*x, *y))
            .collect();
    }
    super::add_ui_time(&mut stats, started);
}
