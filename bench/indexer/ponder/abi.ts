// Every event the suite emits: the interface's ABI and what the deployable inherits (ERC-721,
// AccessControl, pausing), both generated into the repository's abi/ folder. tributary-indexer
// keeps every log of the contract, so Ponder is given every event too.
import type { Abi } from "viem";
import suite from "../../../abi/ITributary.json";
import inherited from "../../../abi/TributaryInherited.json";

export const abi = [...suite, ...inherited] as Abi;
