// The one place that binds htm to Preact: every view imports `html` from here.
import { h } from './vendor/preact.mjs';
import htm from './vendor/htm.mjs';

export const html = htm.bind(h);
