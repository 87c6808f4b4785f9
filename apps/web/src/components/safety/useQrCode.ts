import QRCode from 'qrcode';
import { computed, type MaybeRefOrGetter, shallowRef, toValue, watch } from 'vue';

/**
 * A QR code of `bytes` (byte mode, as Signal encodes scannable fingerprints) as an SVG data URL,
 * regenerated when the bytes change. `error` is set when the bytes cannot be encoded.
 */
export function useQrCode(bytes: MaybeRefOrGetter<Uint8Array | null>) {
  const svg = shallowRef<string | null>(null);
  const error = shallowRef<unknown>(null);

  watch(
    () => toValue(bytes),
    async (data, _old, onCleanup) => {
      let current = true;
      onCleanup(() => {
        current = false;
      });
      svg.value = null;
      error.value = null;
      if (!data || data.length === 0) return;
      try {
        const rendered = await QRCode.toString([{ data, mode: 'byte' }], {
          type: 'svg',
          errorCorrectionLevel: 'M',
          margin: 2,
        });
        if (current) svg.value = rendered;
      } catch (problem) {
        if (current) error.value = problem;
      }
    },
    { immediate: true },
  );

  const dataUrl = computed(() =>
    svg.value ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg.value)}` : null,
  );
  return { dataUrl, error };
}
