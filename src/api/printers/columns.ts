/** Column helpers for the printers. */
import type { TableColumn } from '../resource-def.ts';

/** A string column. */
export function col(name: string, description: string, priority = 0, format = ''): TableColumn {
  return { name, type: 'string', format, description, priority };
}

/** The Name column every kind starts with. */
export const nameCol: TableColumn = col(
  'Name',
  'Name must be unique within a namespace.',
  0,
  'name',
);

/** The Age column. */
export const ageCol: TableColumn = col('Age', 'How long ago the object was created.');
