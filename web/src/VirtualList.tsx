import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

/**
 * Fixed-height windowing: only the rows in view (plus a margin) are in the DOM, so 10,000
 * rows scroll like 30. When rows arrive above the ones in view, the view stays on the rows
 * the reader is looking at instead of jumping; at the very top it follows the newest.
 */
export function VirtualList<T>(props: {
  items: readonly T[];
  itemKey: (item: T) => string;
  rowHeight: number;
  renderRow: (item: T, index: number) => JSX.Element;
  onNearEnd?: () => void;
  /** Rows that arrived above the view while the reader was scrolled down. */
  onUnseen?: (count: number) => void;
  scrollToTop?: number;
  /** The rows in view, after scrolling settles. */
  onRange?: (start: number, end: number) => void;
  label: string;
}) {
  const { items, rowHeight } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const anchor = useRef<{ key: string; offset: number } | null>(null);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    setHeight(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (props.scrollToTop && ref.current) {
      ref.current.scrollTop = 0;
      setScrollTop(0);
    }
  }, [props.scrollToTop]);

  // Keep the first row in view where it was when rows are added above it.
  useLayoutEffect(() => {
    const el = ref.current;
    const a = anchor.current;
    if (!el || !a || el.scrollTop <= 0) return;
    const index = items.findIndex((item) => props.itemKey(item) === a.key);
    if (index < 0) return;
    const target = index * rowHeight + a.offset;
    if (Math.abs(target - el.scrollTop) >= 1) {
      const moved = Math.round((target - el.scrollTop) / rowHeight);
      el.scrollTop = target;
      setScrollTop(target);
      if (moved > 0) props.onUnseen?.(moved);
    }
  }, [items, rowHeight]);

  const first = Math.floor(scrollTop / rowHeight);
  const start = Math.max(0, first - 8);
  const end = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + 8);
  const firstItem = items[first];
  const visibleEnd = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight));
  const onRange = useRef(props.onRange);
  onRange.current = props.onRange;
  useEffect(() => {
    const t = setTimeout(() => onRange.current?.(first, visibleEnd), 150);
    return () => clearTimeout(t);
  }, [first, visibleEnd, items]);
  anchor.current = firstItem ? { key: props.itemKey(firstItem), offset: scrollTop - first * rowHeight } : null;

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    if (el.scrollTop <= 0) props.onUnseen?.(0);
    if (props.onNearEnd && el.scrollTop + el.clientHeight > el.scrollHeight - rowHeight * 20) props.onNearEnd();
  };

  return (
    <div ref={ref} class="vlist" onScroll={onScroll} tabIndex={-1}>
      <ul class="vlist-inner" aria-label={props.label} style={{ height: `${items.length * rowHeight}px` }}>
        {items.slice(start, end).map((item, i) => (
          <li
            key={props.itemKey(item)}
            class="vlist-row"
            style={{ transform: `translateY(${(start + i) * rowHeight}px)`, height: `${rowHeight}px` }}
          >
            {props.renderRow(item, start + i)}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Row height for the current screen: two-line rows on a phone. */
export function useRowHeight(desktop: number, phone: number): number {
  const query = '(max-width: 760px)';
  const [small, setSmall] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const mq = matchMedia(query);
    const on = () => setSmall(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return small ? phone : desktop;
}
