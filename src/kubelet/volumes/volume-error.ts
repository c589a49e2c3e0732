/** The error a volume set-up raises, worded as the kubelet's FailedMount event. */

/** Why a pod's volumes could not be set up; `message` is the event message. */
export class VolumeError extends Error {
  override name = 'VolumeError';
  /** The event reason the caller records (Warning). */
  readonly reason: 'FailedMount';
  /** The volume that failed. */
  readonly volume: string;

  constructor(volume: string, detail: string, options?: { cause?: unknown }) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${detail}`, options);
    this.reason = 'FailedMount';
    this.volume = volume;
  }
}

/** A volume plugin's own failure (the part after ` : ` in the event). */
export class SetUpError extends Error {
  override name = 'SetUpError';
}
