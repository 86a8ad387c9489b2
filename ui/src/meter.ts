// The level meter shared by every screen: `<div id=X class=meter>` holding `#X-rms` and
// `#X-peak` bars. Colour zones follow Audacity's convention: green, yellow from -12 dBFS,
// red from -6 dBFS.
import { find } from "./dom";
import { meterPercent } from "./format";

export function showLevel(meterId: string, peakDbfs: number, rmsDbfs: number): void {
  const meter = find(meterId);
  const peak = find(`${meterId}-peak`);
  const rms = find(`${meterId}-rms`);
  if (!meter || !peak || !rms) return;
  peak.style.width = `${meterPercent(peakDbfs)}%`;
  rms.style.width = `${meterPercent(rmsDbfs)}%`;
  meter.dataset.zone = peakDbfs >= -6 ? "red" : peakDbfs >= -12 ? "yellow" : "green";
}
