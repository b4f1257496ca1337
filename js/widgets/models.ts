// The synced traits of each widget (the Python side: nbtrack/widgets/*.py), as anywidget types.
import type { AnyModel } from "@anywidget/types";

export interface CardRun {
  run_id?: string;
  status?: string;
  duration_s?: number | null;
  name?: string | null;
  tags?: string[];
  params?: [string, string][];
  error?: { type: string; message: string } | null;
  /** Present when the read model says the run is stale (issue 12). */
  stale?: boolean | null;
  stale_reason?: string | null;
}

export interface CardMetric {
  key: string;
  value: string;
  delta?: string;
  better?: boolean | null;
  best?: string;
  is_best?: boolean;
}

export interface CardTraits {
  kind: string;
  run: CardRun;
  metrics: CardMetric[];
  live: { keys?: Record<string, { last: string; points: number }>; more_keys?: number };
  series: DataView | ArrayBuffer | Uint8Array | null;
}

export interface Sort {
  column: string;
  dir: "asc" | "desc";
}

export interface TableFilter {
  column: string;
  op: string;
  value: unknown;
}

export interface TableTraits {
  kind: string;
  filters: TableFilter[];
  search: string;
  sort: Sort[];
  diff_only: boolean;
  page_size: number;
  pinned: string[];
  hidden_columns: string[];
  selected: string[];
}

export interface BaseTraits {
  kind: string;
  [name: string]: unknown;
}

export type CardModel = AnyModel<CardTraits>;
export type TableModel = AnyModel<TableTraits>;
export type WidgetModel = AnyModel<BaseTraits>;
