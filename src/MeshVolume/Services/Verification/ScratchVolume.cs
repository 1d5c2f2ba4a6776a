using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet.Models;
using MeshVolume.Model;

namespace MeshVolume.Services.Verification
{
    /// <summary>
    /// A temporary volume that a backup is restored into for a test, named
    /// meshvolume-verify-VOLUME-RANDOM and labelled meshvolume.scratch=1 so it is recognisable.
    /// </summary>
    public static class ScratchVolume
    {
        public const string Label = "meshvolume.scratch";
        public const string BackupLabel = "meshvolume.backup";
        public const string NamePrefix = "meshvolume-verify-";

        // The local driver makes a folder of the name, and folder names have at most 255 bytes.
        private const int MaxSourceNameLength = 200;

        public static string NewName(string volumeName)
        {
            string source = volumeName.Length > MaxSourceNameLength
                ? volumeName.Substring(0, MaxSourceNameLength)
                : volumeName;
            return NamePrefix + source + "-" + RandomHex(3);
        }

        /// <summary>
        /// Creates the scratch volume with the local driver and no options, whatever the
        /// backup's driver was: options such as type=nfs or o=bind would point the scratch
        /// volume at the source volume's own storage.
        /// </summary>
        public static Task<VolumeResponse> CreateAsync(
            VolumeService volumes, string name, BackupManifest manifest,
            CancellationToken cancellationToken)
        {
            var labels = new Dictionary<string, string>
            {
                [Label] = "1",
                [BackupLabel] = manifest.VolumeName + "/" + manifest.Id,
            };
            return volumes.CreateAsync(name, "local", null, labels, cancellationToken);
        }

        /// <summary>
        /// Removes a scratch volume and returns null when it is gone (or never existed), else
        /// the reason it could not be removed. It runs in cleanup paths, so it uses its own
        /// timeout rather than the caller's token.
        /// </summary>
        public static async Task<string> TryRemoveAsync(VolumeService volumes, string name)
        {
            try
            {
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                {
                    await volumes.RemoveAsync(name, timeout.Token).ConfigureAwait(false);
                }

                return null;
            }
            catch (MeshVolumeException ex) when (ex.ErrorId == MeshErrors.VolumeNotFound)
            {
                return null;
            }
            catch (Exception ex)
            {
                return ex.GetBaseException().Message;
            }
        }

        /// <summary>Lowercase hex of the given number of random bytes.</summary>
        public static string RandomHex(int bytes)
        {
            var random = new byte[bytes];
            using (var generator = RandomNumberGenerator.Create())
            {
                generator.GetBytes(random);
            }

            return BitConverter.ToString(random).Replace("-", string.Empty).ToLowerInvariant();
        }
    }
}
