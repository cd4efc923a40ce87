// Schemas shared by several route modules.
import { Type, type TSchema } from '@sinclair/typebox';

export const ErrorBody = Type.Object(
  { error: Type.String(), message: Type.String() },
  { $id: undefined, description: 'Error: a short code (or Z-API message) and a human explanation' },
);

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
};

export const ValueTrue = Type.Object({ value: Type.Boolean() });

export const StringValue = (description: string, extra: { minLength?: number; maxLength?: number } = {}) =>
  Type.Object({ value: Type.String({ description, maxLength: 2048, ...extra }) }, { additionalProperties: true });

export const BooleanValue = (description: string) =>
  Type.Object({ value: Type.Boolean({ description }) }, { additionalProperties: true });

/** page/pageSize as Z-API documents them; defaulted when absent. */
export const Paging = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
};

export function withErrors<T extends Record<number, TSchema>>(ok: T) {
  return { ...errorResponses, ...ok };
}
