// The views' theme and dashboard style sheet, added after BASE_CSS (common.ts) by injectCss:
// JupyterLab's CSS variables for every colour (readable in the light and the dark theme), a
// visible keyboard focus ring (drawn just inside the canvas: JupyterLab's output area clips
// what lies outside its left edge; a canvas' scroll box, which would clip the canvas' own,
// shows it as its border: the scrolled canvas never covers that), and the Explorer's one-screen
// layout (maps side by side, the component planes in a grid under them, the inspector beside
// them, one Clear button).
export const THEME_CSS = `
.somwidget-view { color: var(--jp-ui-font-color1, #222); }
.somwidget-view .sw-title { color: var(--jp-ui-font-color0, #111); }
.somwidget-view .sw-sub, .somwidget-view .sw-legend .sw-cb-label { color: var(--jp-ui-font-color2, #666); }
.somwidget-view .sw-legend { color: var(--jp-ui-font-color1, #222); }
.somwidget-view .sw-cb canvas { border-color: var(--jp-border-color1, #aaa); }
.somwidget-view .sw-swatch { border-color: var(--jp-border-color1, #777); }
.somwidget-view .sw-plane { border-color: var(--jp-border-color2, #e3e3e3); background: var(--jp-layout-color0, transparent); }
.somwidget-view select, .somwidget-view button {
  color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color1, #bbb); border-radius: 2px; padding: 1px 4px; }
.somwidget-view button:disabled { color: var(--jp-ui-font-color3, #999); }
.somwidget-view .somwidget-canvas { outline: none; border-radius: 2px; }
.somwidget-view .somwidget-canvas:focus-visible, .somwidget-view .somwidget-canvas:focus {
  outline: 2px solid var(--jp-brand-color1, #1976d2); outline-offset: -2px; }
.somwidget-view .sw-canvas-scroll.sw-scrolls .somwidget-canvas:focus-visible,
.somwidget-view .sw-canvas-scroll.sw-scrolls .somwidget-canvas:focus { outline: none; }
.somwidget-view .sw-canvas-scroll.sw-scrolls { box-sizing: border-box; border: 2px solid transparent; border-radius: 2px; }
.somwidget-view .sw-canvas-scroll.sw-scrolls:focus-within { border-color: var(--jp-brand-color1, #1976d2); }
.somwidget-view select:focus-visible, .somwidget-view button:focus-visible, .somwidget-view .sw-plane-title:focus-visible {
  outline: 2px solid var(--jp-brand-color1, #1976d2); outline-offset: 1px; }
.somwidget-explorer { color: var(--jp-ui-font-color1, #222); }
.somwidget-explorer .somwidget-selection-bar { gap: 8px; padding: 2px 0 6px; flex-wrap: wrap; }
.somwidget-explorer .somwidget-body { gap: 0 14px; flex-wrap: wrap; }
.somwidget-explorer .somwidget-main { flex: 1 1 440px; min-width: 0; }
.somwidget-explorer .somwidget-maps { gap: 0 12px; flex-wrap: nowrap; }
.somwidget-explorer .somwidget-maps > .somwidget-view.sw-single {
  flex: 1 1 0; width: auto; min-width: 180px; max-width: 360px; margin-right: 0; --sw-canvas-max: 236; }
.somwidget-explorer .somwidget-maps > .somwidget-view.sw-single .sw-title { font-size: 13px; min-height: 2.7em; }
.somwidget-explorer .somwidget-planes-box { max-height: 236px; overflow-y: auto; overflow-x: hidden;
  margin-top: 6px; width: 100%; scroll-padding-bottom: 24px; }
.somwidget-explorer .somwidget-planes-box::-webkit-scrollbar { width: 10px; height: 10px; }
.somwidget-explorer .somwidget-planes-box::-webkit-scrollbar-track { background: var(--jp-layout-color2, #eee); border-radius: 5px; }
.somwidget-explorer .somwidget-planes-box::-webkit-scrollbar-thumb { background: var(--jp-layout-color4, #757575);
  border-radius: 5px; border: 2px solid var(--jp-layout-color2, #eee); min-height: 24px; }
.somwidget-explorer .somwidget-planes-box::-webkit-scrollbar-thumb:hover { background: var(--jp-brand-color1, #1976d2); }
@supports not selector(::-webkit-scrollbar) {
  .somwidget-explorer .somwidget-planes-box { scrollbar-width: thin;
    scrollbar-color: var(--jp-layout-color4, #757575) var(--jp-layout-color2, #eee); } }
.somwidget-view .sw-scroll-hint { display: none; }
.somwidget-view.sw-in-scroll-box .sw-scroll-hint { display: block; position: sticky; bottom: 0; z-index: 2;
  pointer-events: none; visibility: hidden; margin-top: -14px; padding: 16px 0 3px; text-align: center;
  font-size: 11px; line-height: 1.3; color: var(--jp-ui-font-color1, #222);
  background: linear-gradient(to bottom, transparent, var(--jp-layout-color0, #fff) 60%); }
.somwidget-view.sw-in-scroll-box .sw-scroll-hint.sw-more { visibility: visible; }
.somwidget-view.sw-in-scroll-box .sw-scroll-hint::after { content: " \\2193"; }
.somwidget-explorer .somwidget-planes-box > .somwidget-view.sw-multi { flex: 1 1 auto; width: 100%;
  --sw-plane-min: 88; --sw-plane-target: 104; --sw-plane-max: 150; }
.somwidget-explorer .somwidget-planes-box .sw-title { font-size: 13px; }
.somwidget-view .sw-plane { overflow: hidden; }
.somwidget-explorer .sw-plane .sw-legend { font-size: 10px; margin-top: 2px; }
.somwidget-explorer .sw-plane .sw-cb { gap: 2px; }
.somwidget-explorer .sw-plane .sw-cb canvas { min-width: 10px; flex: 1 1 30px; }
.somwidget-explorer .sw-plane-title { font-size: 11px; }
.somwidget-explorer .somwidget-inspector { flex: 1 1 340px; min-width: 320px; max-width: 560px; }
.somwidget-explorer .sw-clear { display: none; }
.somwidget-elevation-map { max-width: 100%; min-width: 0; }
.somwidget-elevation-map > .somwidget-view.sw-single { flex: 0 0 auto; margin-right: 0; }
.somwidget-elevation-map .sw-angles { flex-wrap: wrap; max-width: 100%; }
.somwidget-elevation-map .sw-angles > .widget-slider { max-width: 100%; min-width: 0; }
`;
