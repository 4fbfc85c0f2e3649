/** The demo's own world: a game day's world in `.pilotlight/sandbox/world` is never touched. */
export const DEMO_FOLDER = ".pilotlight/sandbox/demo";
