// Every view of the window, loaded for their defineView() calls (views.ts orders them).
// A new screen is imported here and named in views.ts's LAYERS; main.ts does not change.
import "./questions";
import "./help";
import "./welcome";
import "./miccheck";
import "./practice";
import "./review";
import "./call";
import "./stories";
