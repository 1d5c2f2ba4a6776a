using System;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace MeshVolume.Services.Throughput
{
    /// <summary>Amount, block size, number of runs and image of one measurement.</summary>
    public sealed class ThroughputRequest
    {
        public const long Mebibyte = 1024 * 1024;

        // O_DIRECT reads need a block size that is a multiple of the device's logical block
        // size: 512 bytes on most disks, 4096 on some.
        private const long MinimumBlockSize = 512;
        private const long MaximumBlockSize = 64 * Mebibyte;

        private static readonly Regex BlockSizePattern = new Regex(
            @"^(\d+)\s*(?:([KMG])(?:I?B)?|B)?$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        public ThroughputRequest(long bytes, long blockSize, int runs, string image)
        {
            Bytes = bytes;
            BlockSize = blockSize;
            Runs = runs;
            Image = image;
        }

        /// <summary>Bytes written and read in each run.</summary>
        public long Bytes { get; }

        /// <summary>Bytes per dd system call.</summary>
        public long BlockSize { get; }

        /// <summary>Number of dd blocks in each run.</summary>
        public long BlockCount => Bytes / BlockSize;

        public int Runs { get; }

        public string Image { get; }

        /// <summary>
        /// Builds a request from the cmdlet's parameters, throwing BlockSizeInvalid when the block
        /// size cannot be read, is out of range, or does not divide the amount.
        /// </summary>
        public static ThroughputRequest Create(int sizeMB, string blockSize, int runs, string image)
        {
            long bytes = sizeMB * Mebibyte;
            long block = ParseBlockSize(blockSize);
            if (block > bytes || bytes % block != 0)
            {
                throw InvalidBlockSize(blockSize,
                    $"it must divide the amount of {sizeMB} MiB ({bytes} bytes) evenly");
            }

            return new ThroughputRequest(bytes, block, runs, image);
        }

        /// <summary>
        /// Parses a block size such as 4096, 64K, 1M or 1MiB; K, M and G are powers of 1024, as
        /// in dd and in PowerShell's 1KB and 1MB.
        /// </summary>
        public static long ParseBlockSize(string text)
        {
            Match match = BlockSizePattern.Match((text ?? string.Empty).Trim());
            if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None,
                CultureInfo.InvariantCulture, out long number))
            {
                throw InvalidBlockSize(text, "use a number of bytes, or a number with K, M or G");
            }

            long multiplier = 1;
            switch (match.Groups[2].Value.ToUpperInvariant())
            {
                case "K": multiplier = 1024; break;
                case "M": multiplier = Mebibyte; break;
                case "G": multiplier = 1024 * Mebibyte; break;
            }

            if (number > MaximumBlockSize / multiplier)
            {
                throw InvalidBlockSize(text, "the maximum is 64M");
            }

            long bytes = number * multiplier;
            if (bytes < MinimumBlockSize || bytes % MinimumBlockSize != 0)
            {
                throw InvalidBlockSize(text, "it must be a multiple of 512 bytes, " +
                    "because reads bypass the page cache with O_DIRECT");
            }

            return bytes;
        }

        private static MeshVolumeException InvalidBlockSize(string text, string reason)
        {
            return new MeshVolumeException(
                $"The block size '{text}' is invalid: {reason}. Examples: 4096, 64K, 1M.",
                MeshErrors.BlockSizeInvalid, ErrorCategory.InvalidArgument);
        }
    }
}
