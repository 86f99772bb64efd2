/**
 * The dashboard's entry: the styles, the session, and the app in `#app`.
 *
 * @module
 */

import "./style.css";
import "./components/ui.css";
import "./fleet.css";
import "./models.css";
import { render } from "preact";
import { App } from "./app.tsx";
import { loadSession } from "./session.ts";

void loadSession();
render(<App />, document.getElementById("app")!);
