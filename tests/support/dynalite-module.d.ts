/** The part of dynalite's API the tests use (the package ships no types). */
declare module "dynalite" {
  import type { Server } from "node:http";

  function dynalite(options?: {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    path?: string;
  }): Server;
  export default dynalite;
}
