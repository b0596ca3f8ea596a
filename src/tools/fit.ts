/** "FIT Image support": Flattened Image Trees (-T flat_dt), read as U-Boot 2023.01's fit_image.c reads them. */
import { concatBytes } from '../bytes/source.js';
import { asciiBytes, externalRange, fitImageData, fitImages, readFit, subnode, type FitReport } from '../formats/fit/fit.js';
import { formatFitImage, formatFitListing } from '../formats/fit/listing.js';
import { IH_TYPE } from '../formats/uimage/tables.js';
import type { ImageTool } from './types.js';

export const UNIT_ADDRESS_WARNING = 'Image contains unit addresses @, this will break signing';

export const fitTool: ImageTool<FitReport> = {
  id: 'fit',
  name: 'FIT Image support',
  ownsType: (type) => type === IH_TYPE.FLAT_DT,
  async verify(src) {
    const report = await readFit(src);
    // fit_verify_header returns EXIT_FAILURE (1) for every refusal.
    if (report.refusal) return { code: 1, report, problem: report.refusal.problem, warnings: [] };
    return { code: 0, report, warnings: report.unitAddress ? [UNIT_ADDRESS_WARNING] : [] };
  },
  print: (fit, timeZone) => formatFitListing(fit, timeZone),
  extract(fit, position, _image, timeZone) {
    if (!subnode(fit.root, 'images')) {
      return { refusal: { stream: 'stdout', text: "Can't find images parent node '/images' (FDT_ERR_NOTFOUND)" } };
    }
    const images = fitImages(fit);
    const image = images[position];
    if (position < 0 || !image) return { refusal: { stream: 'stdout', text: `No such component at '${position}'` } };
    const preface = concatBytes([asciiBytes(`Extracted:\n Image ${position} (${image.name})\n`), formatFitImage(fit, image, timeZone)]);
    const data = fitImageData(fit, image);
    if (!data) return { preface, refusal: { stream: 'stderr', text: 'Could not get component information' } };
    if (data.kind === 'external') {
      try {
        return { preface, range: externalRange(fit, image, data) };
      } catch (e) {
        return { preface, refusal: { stream: 'stderr', text: (e as Error).message } };
      }
    }
    return { preface, bytes: data.bytes };
  },
};
