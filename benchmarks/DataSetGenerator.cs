// Writes the benchmark data sets. BenchmarkTools.psm1 compiles this file with Add-Type, so it is
// not part of the module's build. The same seed gives the same files, byte for byte, on every
// x64 and Arm64 machine, because the generator is xoshiro256** seeded through splitmix64 and
// nothing depends on the .NET version, the clock or the file system.
using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MeshVolumeBenchmark
{
    /// <summary>
    /// Pseudo-random numbers from xoshiro256**, which is fast and fully specified.
    /// </summary>
    public sealed class SeededRandom
    {
        private ulong _s0;
        private ulong _s1;
        private ulong _s2;
        private ulong _s3;

        public SeededRandom(ulong seed)
        {
            _s0 = SplitMix(ref seed);
            _s1 = SplitMix(ref seed);
            _s2 = SplitMix(ref seed);
            _s3 = SplitMix(ref seed);
        }

        public ulong NextUInt64()
        {
            ulong result = RotateLeft(_s1 * 5, 7) * 9;
            ulong shifted = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= shifted;
            _s3 = RotateLeft(_s3, 45);
            return result;
        }

        /// <summary>Returns a number from minimum (inclusive) to maximum (exclusive).</summary>
        public int Next(int minimum, int maximum)
        {
            return minimum + (int)(NextUInt64() % (ulong)(maximum - minimum));
        }

        /// <summary>Fills the first count bytes of buffer with incompressible bytes.</summary>
        public void Fill(byte[] buffer, int count)
        {
            // Eight bytes a step, in the machine's byte order (little-endian on x64 and Arm64).
            Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(buffer.AsSpan(0, count & ~7));
            for (int i = 0; i < words.Length; i++)
            {
                words[i] = NextUInt64();
            }

            for (int i = count & ~7; i < count; i++)
            {
                buffer[i] = (byte)NextUInt64();
            }
        }

        private static ulong SplitMix(ref ulong state)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        private static ulong RotateLeft(ulong value, int bits)
        {
            return (value << bits) | (value >> (64 - bits));
        }
    }

    /// <summary>
    /// Compressible text that looks like an application log: timestamps, levels, components,
    /// words from a small vocabulary and numbers. zstd 1.5 at level 3 shrinks it to about a
    /// quarter.
    /// </summary>
    public sealed class LogTextSource
    {
        private static readonly string[] Levels =
        {
            "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR",
        };

        private static readonly string[] Components =
        {
            "http", "db", "cache", "auth", "scheduler", "storage", "mailer", "queue",
        };

        private static readonly string[] Words =
        {
            "request", "response", "user", "session", "token", "expired", "created", "updated",
            "deleted", "query", "rows", "returned", "in", "ms", "for", "the", "a", "of", "to",
            "connection", "pool", "opened", "closed", "retry", "after", "timeout", "upstream",
            "served", "cached", "miss", "hit", "key", "value", "order", "invoice", "customer",
            "payment", "accepted", "rejected", "queued", "job", "started", "finished", "failed",
            "bytes", "written", "read", "file", "folder", "volume", "backup", "restore", "ok",
        };

        private static readonly DateTime FirstLineTime =
            new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        private readonly SeededRandom _random;
        private readonly StringBuilder _line = new StringBuilder(256);
        private byte[] _pending = new byte[0];
        private int _pendingOffset;
        private long _seconds;

        public LogTextSource(ulong seed)
        {
            _random = new SeededRandom(seed);
        }

        /// <summary>Fills the first count bytes of buffer with log lines.</summary>
        public void Fill(byte[] buffer, int count)
        {
            int filled = 0;
            while (filled < count)
            {
                if (_pendingOffset == _pending.Length)
                {
                    _pending = Encoding.ASCII.GetBytes(NextLine());
                    _pendingOffset = 0;
                }

                int copied = Math.Min(count - filled, _pending.Length - _pendingOffset);
                Buffer.BlockCopy(_pending, _pendingOffset, buffer, filled, copied);
                _pendingOffset += copied;
                filled += copied;
            }
        }

        private string NextLine()
        {
            _seconds += _random.Next(0, 3);
            DateTime time = FirstLineTime.AddSeconds(_seconds);
            _line.Clear();
            _line.Append(time.ToString("yyyy-MM-ddTHH:mm:ss'Z'", CultureInfo.InvariantCulture));
            _line.Append(' ').Append(Levels[_random.Next(0, Levels.Length)]);
            _line.Append(' ').Append(Components[_random.Next(0, Components.Length)]).Append(':');
            int wordCount = _random.Next(4, 14);
            for (int i = 0; i < wordCount; i++)
            {
                _line.Append(' ').Append(Words[_random.Next(0, Words.Length)]);
            }

            _line.Append(" id=").Append(_random.Next(0, 1000000));
            _line.Append(" took=").Append(_random.Next(0, 5000)).Append("ms\n");
            return _line.ToString();
        }
    }

    /// <summary>
    /// Writes files into a folder and keeps totals and a SHA-256 fingerprint of every path,
    /// size and content byte in the order written, so two machines can check that they
    /// generated the same data set.
    /// </summary>
    public sealed class DataSetWriter : IDisposable
    {
        private const int ChunkSize = 1 << 20;

        private readonly string _root;
        private readonly ulong _seed;
        private readonly byte[] _chunk = new byte[ChunkSize];
        private readonly IncrementalHash _fingerprint =
            IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public DataSetWriter(string root, ulong seed)
        {
            _root = root;
            _seed = seed;
        }

        /// <summary>Bytes of file content written so far.</summary>
        public long ContentBytes { get; private set; }

        public long FileCount { get; private set; }

        public string Fingerprint
        {
            get { return Convert.ToHexString(_fingerprint.GetCurrentHash()).ToLowerInvariant(); }
        }

        /// <summary>
        /// Writes count files of size bytes each as prefix-N.bin (random bytes) or
        /// prefix-N.log (log text) in the root folder.
        /// </summary>
        public void WriteLargeFiles(string prefix, int count, long size, bool text)
        {
            for (int i = 0; i < count; i++)
            {
                string name = prefix + "-" + i.ToString("D2") + (text ? ".log" : ".bin");
                WriteFile(name, size, text, FileSeed(prefix, i));
            }
        }

        /// <summary>
        /// Writes count small files of minimumSize to maximumSize bytes (uniform) into nested
        /// folders under folder, with 100 files a folder, 10 folders a level and three levels.
        /// textShare (0 to 1) is the fraction of files that are log text, and the others are
        /// random bytes.
        /// </summary>
        public void WriteSmallFiles(
            string folder, int count, int minimumSize, int maximumSize, double textShare)
        {
            var random = new SeededRandom(FileSeed(folder, -1));
            for (int i = 0; i < count; i++)
            {
                int leaf = i / 100;
                string path = string.Format(
                    "{0}/set{1:D3}/group{2}/part{3}/item{4:D6}", folder, leaf / 100,
                    leaf / 10 % 10, leaf % 10, i);
                int size = random.Next(minimumSize, maximumSize + 1);
                bool text = random.Next(0, 1000) < textShare * 1000;
                WriteFile(path + (text ? ".txt" : ".dat"), size, text, FileSeed(folder, i));
            }
        }

        public void Dispose()
        {
            _fingerprint.Dispose();
        }

        private void WriteFile(string relativePath, long size, bool text, ulong seed)
        {
            string path = Path.Combine(_root, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path));
            AppendToFingerprint(relativePath + "\n" + size + "\n");
            var random = text ? null : new SeededRandom(seed);
            var log = text ? new LogTextSource(seed) : null;
            using (var file = new FileStream(
                path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, false))
            {
                long left = size;
                while (left > 0)
                {
                    int count = (int)Math.Min(ChunkSize, left);
                    if (text)
                    {
                        log.Fill(_chunk, count);
                    }
                    else
                    {
                        random.Fill(_chunk, count);
                    }

                    file.Write(_chunk, 0, count);
                    _fingerprint.AppendData(_chunk, 0, count);
                    left -= count;
                }
            }

            ContentBytes += size;
            FileCount++;
        }

        private ulong FileSeed(string group, int index)
        {
            // A seed for each file, so that no file depends on how many came before it.
            ulong seed = _seed;
            foreach (char c in group)
            {
                seed = (seed ^ c) * 0x100000001B3UL;
            }

            return seed ^ ((ulong)(uint)index * 0x9E3779B97F4A7C15UL);
        }

        private void AppendToFingerprint(string text)
        {
            _fingerprint.AppendData(Encoding.UTF8.GetBytes(text));
        }
    }
}
