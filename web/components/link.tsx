import type { ComponentChildren } from "preact";
import { navigate } from "../router.ts";

/** An `<a>` that changes page without a reload (a modified click still opens a new tab). */
export function Link(
  props: { href: string; class?: string; children: ComponentChildren; title?: string },
) {
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} class={props.class} title={props.title} onClick={onClick}>
      {props.children}
    </a>
  );
}
