/**
 * Entry point of the Pulumi project (`Pulumi.yaml`: `main: infra/`). `pulumi preview -s primary`
 * and the Automation API both run this file; the stack's `pilotlight:role` picks the program.
 */
import { runProgram } from "./program";

export = runProgram();
