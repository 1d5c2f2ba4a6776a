using System;
using System.Globalization;

namespace MeshVolume.Services.Retention
{
    /// <summary>Calendar period of a counted retention rule such as -KeepDaily.</summary>
    public enum RetentionPeriod
    {
        Hourly,
        Daily,
        Weekly,
        Monthly,
        Yearly,
    }

    /// <summary>
    /// Bucket names for the counted retention rules, computed from a wall-clock time. Two times
    /// share a bucket exactly when restic 0.14 gives them the same bucket number (YYYYMMDDHH,
    /// YYYYMMDD, ISO year and week, YYYYMM, YYYY), so comparing names decides like restic does.
    /// </summary>
    public static class RetentionBuckets
    {
        /// <summary>
        /// Returns the bucket name, such as "2026-12-03 14:00", "2026-12-03", "2026-W49",
        /// "2026-12" or "2026".
        /// </summary>
        public static string GetBucket(RetentionPeriod period, DateTime wallClock)
        {
            switch (period)
            {
                case RetentionPeriod.Hourly:
                    return wallClock.ToString("yyyy-MM-dd HH:00", CultureInfo.InvariantCulture);
                case RetentionPeriod.Daily:
                    return wallClock.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                case RetentionPeriod.Weekly:
                    GetIsoWeek(wallClock, out int weekYear, out int week);
                    return string.Format(CultureInfo.InvariantCulture, "{0:D4}-W{1:D2}",
                        weekYear, week);
                case RetentionPeriod.Monthly:
                    return wallClock.ToString("yyyy-MM", CultureInfo.InvariantCulture);
                case RetentionPeriod.Yearly:
                    return wallClock.ToString("yyyy", CultureInfo.InvariantCulture);
                default:
                    throw new ArgumentOutOfRangeException(nameof(period), period, null);
            }
        }

        /// <summary>
        /// Computes the ISO 8601 week. Weeks start on Monday, and week 1 is the week that
        /// contains the year's first Thursday. So December 29 can be in week 1 of the next
        /// year, and January 3 in week 52 or 53 of the previous one.
        /// </summary>
        public static void GetIsoWeek(DateTime date, out int weekYear, out int week)
        {
            // Monday = 0 ... Sunday = 6; the Thursday of the same week decides the year.
            int dayOfWeek = ((int)date.DayOfWeek + 6) % 7;
            DateTime thursday = date.Date.AddDays(3 - dayOfWeek);
            weekYear = thursday.Year;
            week = (thursday.DayOfYear - 1) / 7 + 1;
        }
    }
}
