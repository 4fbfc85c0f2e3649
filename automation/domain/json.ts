/** A JSON value: what a run's spec, a step's input/output and an event's data may hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object. */
export type JsonObject = { [key: string]: Json };
