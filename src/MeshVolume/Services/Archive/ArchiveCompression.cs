using System;
using System.IO;
using System.IO.Compression;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace MeshVolume.Services.Archive
{
    /// <summary>Compression of a backup archive; the manifest stores the lowercase name.</summary>
    public enum CompressionMethod
    {
        None,
        Gzip,
        Zstd,
    }

    /// <summary>
    /// Opens compressing and decompressing streams for archives, and maps each method to the
    /// file extension that plain tar, zstd and gzip recognize.
    /// </summary>
    public static class ArchiveCompression
    {
        public const int DefaultZstdLevel = 3;
        public const int DefaultGzipLevel = 6;

        private const int ZstdBufferSize = 1 << 20;

        // Longest extension first, so "x.tar.zst" is not taken for ".tar".
        private static readonly CompressionMethod[] AllMethods =
        {
            CompressionMethod.Zstd, CompressionMethod.Gzip, CompressionMethod.None,
        };

        /// <summary>Extension of an archive file: .tar.zst, .tar.gz or .tar.</summary>
        public static string GetFileExtension(CompressionMethod method)
        {
            switch (method)
            {
                case CompressionMethod.Zstd: return ".tar.zst";
                case CompressionMethod.Gzip: return ".tar.gz";
                case CompressionMethod.None: return ".tar";
                default: throw new ArgumentOutOfRangeException(nameof(method), method,
                    "Unknown compression method.");
            }
        }

        /// <summary>Finds the method from an archive file name by its extension.</summary>
        public static bool TryGetMethodFromFileName(string fileName, out CompressionMethod method)
        {
            method = CompressionMethod.None;
            if (fileName == null)
            {
                return false;
            }

            foreach (CompressionMethod candidate in AllMethods)
            {
                if (fileName.EndsWith(GetFileExtension(candidate), StringComparison.OrdinalIgnoreCase))
                {
                    method = candidate;
                    return true;
                }
            }

            return false;
        }

        /// <summary>Name stored in the manifest: zstd, gzip or none.</summary>
        public static string ToManifestName(CompressionMethod method)
        {
            return method.ToString().ToLowerInvariant();
        }

        /// <summary>Parses a manifest name (zstd, gzip or none, any case).</summary>
        public static bool TryParseManifestName(string name, out CompressionMethod method)
        {
            foreach (CompressionMethod candidate in AllMethods)
            {
                if (string.Equals(name, ToManifestName(candidate), StringComparison.OrdinalIgnoreCase))
                {
                    method = candidate;
                    return true;
                }
            }

            method = CompressionMethod.None;
            return false;
        }

        /// <summary>
        /// Wraps an output stream in a compressing stream that compresses on a background
        /// thread (see <see cref="BackgroundWriteStream"/>). Disposing the returned stream ends
        /// the compressed data (zstd frame, gzip trailer); without that the archive is cut.
        /// </summary>
        /// <param name="output">Where the compressed bytes go.</param>
        /// <param name="method">Compression method.</param>
        /// <param name="level">
        /// zstd: 1 to 22 (negative values are faster levels), default 3. gzip: 0 to 9, default 6;
        /// the framework exposes only no compression (0), fastest (1 to 5), optimal (6 to 8)
        /// and, on .NET 6 and later, smallest size (9). Ignored for none.
        /// </param>
        /// <param name="workers">
        /// zstd worker threads (ZSTD_c_nbWorkers). 0 compresses on the one background thread.
        /// Ignored for gzip and none.
        /// </param>
        /// <param name="leaveOpen">
        /// True to keep the output open after the returned stream is disposed.
        /// </param>
        public static Stream Create(
            Stream output, CompressionMethod method, int? level = null, int workers = 0,
            bool leaveOpen = false)
        {
            if (output == null)
            {
                throw new ArgumentNullException(nameof(output));
            }

            // Compression runs on its own thread, beside the caller's reading and hashing.
            switch (method)
            {
                case CompressionMethod.Zstd:
                    Stream zstd = CreateZstd(output, level ?? DefaultZstdLevel, workers, leaveOpen);
                    return new BackgroundWriteStream(zstd);
                case CompressionMethod.Gzip:
                    CompressionLevel gzipLevel = ToGzipLevel(level ?? DefaultGzipLevel);
                    var gzip = new GZipStream(output, gzipLevel, leaveOpen);
                    return new BackgroundWriteStream(gzip);
                case CompressionMethod.None:
                    return new CountingStream(output, leaveOpen);
                default:
                    throw new ArgumentOutOfRangeException(nameof(method), method,
                        "Unknown compression method.");
            }
        }

        /// <summary>
        /// Wraps an input stream in a decompressing stream. Damaged zstd data raises ZstdException
        /// or EndOfStreamException and damaged gzip data InvalidDataException;
        /// <see cref="TarArchiveReader"/> reports those as ArchiveCorrupt.
        /// </summary>
        public static Stream OpenRead(
            Stream input, CompressionMethod method, bool leaveOpen = false)
        {
            if (input == null)
            {
                throw new ArgumentNullException(nameof(input));
            }

            switch (method)
            {
                case CompressionMethod.Zstd:
                    return new DecompressionStream(
                        input, ZstdBufferSize, checkEndOfStream: true, leaveOpen: leaveOpen);
                case CompressionMethod.Gzip:
                    return new GZipStream(input, CompressionMode.Decompress, leaveOpen);
                case CompressionMethod.None:
                    return new CountingStream(input, leaveOpen);
                default:
                    throw new ArgumentOutOfRangeException(nameof(method), method,
                        "Unknown compression method.");
            }
        }

        private static Stream CreateZstd(Stream output, int level, int workers, bool leaveOpen)
        {
            if (level < Compressor.MinCompressionLevel || level > Compressor.MaxCompressionLevel ||
                level == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(level), level,
                    $"The zstd level must be between {Compressor.MinCompressionLevel} and " +
                    $"{Compressor.MaxCompressionLevel}, and not 0.");
            }

            if (workers < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(workers), workers,
                    "Workers must be 0 or more.");
            }

            var stream = new CompressionStream(output, level, ZstdBufferSize, leaveOpen);

            // A content checksum in each frame lets zstd -t and the reader detect damage.
            stream.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            // NOTE: with ZstdSharp 0.8.8 on two cores, 2 workers compressed no faster than 0,
            // because the thread feeding the workers stayed near 100% CPU while it waited
            // (benchmarks/Measure-ArchiveThroughput.ps1). More cores may still gain.
            if (workers > 0)
            {
                stream.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, workers);
            }

            return stream;
        }

        private static CompressionLevel ToGzipLevel(int level)
        {
            if (level < 0 || level > 9)
            {
                throw new ArgumentOutOfRangeException(nameof(level), level,
                    "The gzip level must be between 0 and 9.");
            }

            // CompressionLevel.SmallestSize (3) exists from .NET 6 on, but netstandard2.0 cannot
            // name it.
            const CompressionLevel smallestSize = (CompressionLevel)3;
            if (level == 9 && Enum.IsDefined(typeof(CompressionLevel), smallestSize))
            {
                return smallestSize;
            }

            return level == 0 ? CompressionLevel.NoCompression
                : level <= 5 ? CompressionLevel.Fastest
                : CompressionLevel.Optimal;
        }
    }
}
