import { defineConfig } from "vite";

// Built files are embedded into the Tauri binary (frontendDist = ../ui/dist).
export default defineConfig({
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    sourcemap: false,
  },
});
