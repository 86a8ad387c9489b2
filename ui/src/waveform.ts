// Waveform overview of a take, drawn by wavesurfer.js from peaks computed in Rust (written
// while recording, or built once from the WAV). Audio never goes through the webview: the
// take plays through cpal, and this view only shows the position and reports seeks.
import type WaveSurfer from "wavesurfer.js";
import type RegionsPlugin from "wavesurfer.js/dist/plugins/regions.esm.js";

export interface WaveMark {
  atMs: number;
  label: string;
}

/** A stretch of the take shaded on the waveform (a silence playback skips). */
export interface WaveShade {
  startMs: number;
  endMs: number;
}

export class TakeWave {
  private ws: WaveSurfer;
  private regions: ReturnType<typeof RegionsPlugin.create>;
  private marks: WaveMark[] = [];
  private shades: WaveShade[] = [];
  readonly durationMs: number;

  /** Loads wavesurfer.js on first use (it is not needed to start the app). With `fit`, the
   *  envelope is scaled so the take's loudest moment fills the height: Compare uses it so a
   *  quiet take's pauses are as visible as a loud one's. */
  static async create(
    container: HTMLElement,
    peaks: [number, number][],
    durationMs: number,
    onSeek: (ms: number) => void,
    fit = false,
  ): Promise<TakeWave> {
    const [ws, regions] = await Promise.all([import("wavesurfer.js"), import("wavesurfer.js/dist/plugins/regions.esm.js")]);
    return new TakeWave(ws.default, regions.default, container, envelope(peaks, fit, container), durationMs, onSeek);
  }

  private constructor(
    WS: typeof WaveSurfer,
    Regions: typeof RegionsPlugin,
    container: HTMLElement,
    env: number[],
    durationMs: number,
    onSeek: (ms: number) => void,
  ) {
    this.durationMs = Math.max(1, durationMs);
    this.regions = Regions.create();
    this.ws = WS.create({
      container,
      height: 84,
      waveColor: "#5b6b8c",
      progressColor: "#6ea8fe",
      cursorColor: "#e8eaf0",
      cursorWidth: 2,
      barWidth: 2,
      barGap: 1,
      peaks: [env],
      duration: this.durationMs / 1000,
      interact: true,
      dragToSeek: true,
      plugins: [this.regions],
    });
    this.ws.on("interaction", (sec: number) => onSeek(Math.round(sec * 1000)));
  }

  /** Moves the play cursor (the position comes from Rust's playback events). */
  setPosition(ms: number): void {
    this.ws.setTime(Math.max(0, Math.min(ms, this.durationMs)) / 1000);
  }

  setMarks(marks: WaveMark[]): void {
    this.marks = marks;
    this.drawRegions();
  }

  setShades(shades: WaveShade[]): void {
    this.shades = shades;
    this.drawRegions();
  }

  /** Bookmarks and shaded stretches share the regions plugin: both are drawn again. */
  private drawRegions(): void {
    this.regions.clearRegions();
    for (const s of this.shades) {
      const r = this.regions.addRegion({ start: s.startMs / 1000, end: s.endMs / 1000, color: "rgba(10, 12, 18, 0.55)", drag: false, resize: false });
      // A click in a shaded stretch still seeks (the waveform handles it).
      if (r.element) {
        r.element.style.pointerEvents = "none";
        r.element.classList.add("wave-shade");
      }
    }
    for (const m of this.marks) {
      this.regions.addRegion({ start: m.atMs / 1000, content: m.label, color: "#f5a524", drag: false, resize: false });
    }
  }

  destroy(): void {
    this.ws.destroy();
  }
}

/** wavesurfer takes one array per channel; min/max pairs are drawn as a symmetric envelope
 *  from the larger magnitude of the two, scaled to fill the height when `fit` is set (never
 *  above ×100, so a silent take stays flat). The container says the gain and the drawn peak. */
function envelope(peaks: [number, number][], fit: boolean, container: HTMLElement): number[] {
  const env = peaks.map(([lo, hi]) => Math.max(Math.abs(lo), Math.abs(hi)));
  const loudest = env.reduce((a, b) => Math.max(a, b), 0);
  const gain = fit && loudest > 0 ? Math.min(100, 1 / loudest) : 1;
  container.dataset.gain = gain.toFixed(2);
  container.dataset.drawnPeak = (loudest * gain).toFixed(2);
  return gain === 1 ? env : env.map((v) => v * gain);
}
