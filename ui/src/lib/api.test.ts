import { describe, expect, it } from 'vitest';
import { fieldsOf, nextCursor } from './api.ts';

describe('api', () => {
  it('reads the next cursor from an RFC 8288 Link header', () => {
    expect(nextCursor('</api/v1/albums?limit=20&cursor=eyJhZnRlciI6NH0>; rel="next"')).toBe(
      'eyJhZnRlciI6NH0',
    );
    expect(nextCursor(null)).toBeNull();
    expect(nextCursor('</x?cursor=a>; rel="prev"')).toBeNull();
  });

  it('maps problem pointers to form fields, batch pointers included', () => {
    expect(
      fieldsOf([
        { pointer: '/price', detail: 'must be multiple of 0.01' },
        { pointer: '/0/title', detail: 'must NOT have fewer than 1 characters' },
        { pointer: '/extra', detail: 'is not a known field' },
      ]),
    ).toEqual({
      price: 'must be multiple of 0.01',
      title: 'must NOT have fewer than 1 characters',
    });
  });
});
