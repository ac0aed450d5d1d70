// Adapters build their config schemas with this `z`, so every package shares core's copy of zod and the
// help text and JSON Schema derived here see the same schema objects.
export { z } from "zod";
