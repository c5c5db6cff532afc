import { BoundedLabelValues, OTHER_LABEL_VALUE } from './bounded-label';

describe('BoundedLabelValues', () => {
  it('keeps the first values seen, up to the cap', () => {
    const types = new BoundedLabelValues(2);
    expect(types.label('summarise')).toBe('summarise');
    expect(types.label('translate')).toBe('translate');
  });

  it('folds values past the cap into "other"', () => {
    const types = new BoundedLabelValues(2);
    types.label('summarise');
    types.label('translate');
    expect(types.label('classify')).toBe(OTHER_LABEL_VALUE);
    expect(types.label('transcribe')).toBe(OTHER_LABEL_VALUE);
  });

  it('keeps answering values admitted before the cap was reached', () => {
    const types = new BoundedLabelValues(2);
    types.label('summarise');
    types.label('translate');
    types.label('classify');
    expect(types.label('summarise')).toBe('summarise');
    expect(types.label('translate')).toBe('translate');
  });

  it('does not spend the cap on a value seen again', () => {
    const types = new BoundedLabelValues(2);
    types.label('summarise');
    types.label('summarise');
    types.label('summarise');
    expect(types.label('translate')).toBe('translate');
    expect(types.label('classify')).toBe(OTHER_LABEL_VALUE);
  });
});
